#include "heatlink/protocol/mbus_procedures.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::protocol::mbus {

namespace {

std::uint64_t nibbles(const SecondaryAddress& a) {
  return std::uint64_t{a.id} << 32 | std::uint64_t{a.manufacturer} << 16 |
         std::uint64_t{a.version} << 8 | a.medium;
}

// Whether a selection mask names one address: no nibble is F, the wildcard.
bool fully_specified(const SecondaryAddress& mask) {
  const std::uint64_t bits = nibbles(mask);
  for (int shift = 0; shift < 64; shift += 4) {
    if (((bits >> shift) & 0xF) == 0xF) return false;
  }
  return true;
}

// Whether a meter at `address` is one a selection of `mask` selects.
bool under(const SecondaryAddress& address, const SecondaryAddress& mask) {
  const std::uint64_t a = nibbles(address), m = nibbles(mask);
  for (int shift = 0; shift < 64; shift += 4) {
    const std::uint64_t digit = (m >> shift) & 0xF;
    if (digit != 0xF && digit != ((a >> shift) & 0xF)) return false;
  }
  return true;
}

std::string address_text(std::uint8_t address) {
  return std::to_string(static_cast<unsigned>(address));
}

link::Request request(const FrameBytes& frame, link::Expect expect, std::uint8_t address,
                      unsigned retries, std::string what) {
  link::Request r;
  r.bytes = frame.to_vector();
  r.expect = expect;
  r.mbus_address = address;
  r.retries = retries;
  r.what = std::move(what);
  return r;
}

bool more_follows(Bytes frame_bytes) {
  const auto frame = decode_frame(frame_bytes);
  if (!frame) return false;
  Telegram t;
  decode_telegram(*frame, t);
  return t.more_records_follow;
}

}  // namespace

std::optional<SecondaryAddress> identity_of(Bytes frame_bytes) {
  const auto frame = decode_frame(frame_bytes);
  if (!frame || frame->type != FrameType::long_frame) return std::nullopt;
  Telegram t;
  decode_telegram(*frame, t);
  if (!t.has_identity) return std::nullopt;
  return address_of_header(t.id, t.manufacturer, t.version, t.medium);
}

// ---- Target

Result<Target> Target::parse(std::string_view text) {
  Target target;
  if (text.size() == 16) {
    auto secondary = SecondaryAddress::parse(text);
    if (!secondary) return secondary.error();
    target.by_secondary = true;
    target.secondary = *secondary;
    return target;
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > 250) {
    Error e;
    e.code = Errc::bad_field;
    e.field = "meter address";
    e.detail = "expected a primary address 0-250 or a 16-digit secondary address";
    return e;
  }
  target.primary = static_cast<std::uint8_t>(value);
  return target;
}

std::string Target::to_string() const {
  return by_secondary ? secondary.to_string() : address_text(primary);
}

// ---- MeterRead

MeterRead::MeterRead(const Target& target, ReadOptions options)
    : target_(target), options_(options) {}

std::optional<link::Request> MeterRead::next() {
  const std::uint8_t a = target_.link_address();
  switch (stage_) {
    case Stage::address:
      if (target_.by_secondary) {
        return request(select_secondary(target_.secondary), link::Expect::ack, a, options_.retries,
                       "select " + target_.secondary.to_string());
      }
      return request(snd_nke(a), link::Expect::ack, a, options_.retries,
                     "SND_NKE to " + address_text(a));
    case Stage::data_set:
      return request(application_reset(a, options_.data_set), link::Expect::ack, a,
                     options_.retries, "data set " + std::to_string(*options_.data_set));
    case Stage::read: {
      link::Request r = request(req_ud2(a, fcb_), link::Expect::mbus_reply, a, options_.retries,
                                "REQ_UD2 to " + target_.to_string() + " (telegram " +
                                    std::to_string(telegrams_.size() + 1) + ")");
      if (target_.by_secondary) {
        // At FD any telegram is addressed right: only the selected meter's is the answer.
        r.accept = [mask = target_.secondary](const AnyScanResult& frame) {
          const auto id = identity_of(frame.bytes);
          return !id || mask.matches(*id);
        };
      }
      return r;
    }
    case Stage::done:
      return std::nullopt;
  }
  return std::nullopt;
}

void MeterRead::on_outcome(const link::Request& request, const link::Outcome& outcome) {
  if (outcome.kind != link::OutcomeKind::answered) {
    fail_on(request, outcome);
    stage_ = Stage::done;
    return;
  }
  switch (stage_) {
    case Stage::address:
      stage_ = options_.data_set ? Stage::data_set : Stage::read;
      return;
    case Stage::data_set:
      stage_ = Stage::read;
      return;
    case Stage::read:
      telegrams_.push_back(outcome.frame);
      if (!more_follows(outcome.frame)) {
        stage_ = Stage::done;
        succeed();
      } else if (telegrams_.size() >= options_.max_telegrams) {
        truncated_ = true;
        stage_ = Stage::done;
        succeed();
      } else {
        fcb_ = !fcb_;  // a good reply: the next telegram
      }
      return;
    case Stage::done:
      return;
  }
}

// ---- PrimaryScan

PrimaryScan::PrimaryScan(std::uint8_t first, std::uint8_t last) : address_(first), last_(last) {}

std::optional<link::Request> PrimaryScan::next() {
  if (address_ > last_) {
    if (!finished()) succeed();
    return std::nullopt;
  }
  const auto a = static_cast<std::uint8_t>(address_);
  if (identifying_) {
    return request(req_ud2(a, true), link::Expect::mbus_reply, a, 1,
                   "REQ_UD2 to " + address_text(a));
  }
  return request(snd_nke(a), link::Expect::ack, a, 1, "SND_NKE to " + address_text(a));
}

void PrimaryScan::on_outcome(const link::Request&, const link::Outcome& outcome) {
  const auto a = static_cast<std::uint8_t>(address_);
  if (identifying_) {
    identifying_ = false;
    ++address_;
    if (outcome.kind != link::OutcomeKind::answered) {
      hits_.back().collision = hits_.back().collision || outcome.kind == link::OutcomeKind::garbled;
      return;
    }
    hits_.back().telegram = outcome.frame;
    if (const auto id = identity_of(outcome.frame)) {
      hits_.back().secondary = *id;
      hits_.back().identified = true;
    }
    return;
  }
  if (outcome.kind == link::OutcomeKind::silent) {
    ++address_;
    return;
  }
  ScanHit hit;
  hit.primary = a;
  hit.collision = outcome.kind == link::OutcomeKind::garbled || outcome.noise;
  hits_.push_back(hit);
  identifying_ = true;
}

// ---- SecondaryScan

SecondaryScan::SecondaryScan(const SecondaryAddress& start)
    : start_(start), search_(start), proven_(start) {}

std::optional<link::Request> SecondaryScan::next() {
  if (finished()) return std::nullopt;
  auto r = ask();
  if (r) r->patience = patience_;
  return r;
}

std::optional<link::Request> SecondaryScan::ask() {
  switch (stage_) {
    case Stage::reset:
      // SND_NKE to FF: every meter forgets its selection and FCB state; nobody answers.
      return request(snd_nke(kAddressBroadcast), link::Expect::nothing, kAddressBroadcast, 0,
                     "SND_NKE to all");
    case Stage::select: {
      if ((unproven_ || doubtful_) && has_witness() && !rechecking_) {
        stage_ = Stage::witness;
        return witness_request();
      }
      const auto mask = search_.next();
      if (!mask) {
        succeed();
        return std::nullopt;
      }
      if (pause_at_ != 0 && search_.probes() >= pause_at_ && !rechecking_ && !second_look_) {
        paused_ = true;
        succeed();
        return std::nullopt;
      }
      mask_ = *mask;
      // A silent mask is selected twice, as libmbus does - a lost or late E5 would hide a
      // whole subtree - with the witness asked in between. Garble is a collision: an answer,
      // not a reason to ask again.
      // Before anything answered a silence cannot be told from an empty bus: the first mask
      // is asked four times.
      link::Request r =
          request(select_secondary(mask_), link::Expect::ack, kAddressSelected,
                  answered_ || search_.probes() > 0 ? 0 : 3, "select " + mask_.to_string());
      r.retry_garbled = false;
      return r;
    }
    case Stage::confirm:
      return request(req_ud2(kAddressSelected, true), link::Expect::mbus_reply, kAddressSelected, 1,
                     "REQ_UD2 to " + mask_.to_string());
    case Stage::witness:
      return witness_request();
    case Stage::witness_read: {
      const SecondaryAddress w = *witness();
      link::Request r = request(req_ud2(kAddressSelected, true), link::Expect::mbus_reply,
                                kAddressSelected, 0, "REQ_UD2 to witness " + w.to_string());
      r.accept = [w](const AnyScanResult& frame) { return identity_of(frame.bytes) == w; };
      return r;
    }
  }
  return std::nullopt;
}

// Does the line answer? The witness meter selected (then read), or - before any meter was
// identified - the first mask again.
std::optional<link::Request> SecondaryScan::witness_request() {
  const SecondaryAddress w = witness().value_or(start_);
  link::Request r = request(select_secondary(w), link::Expect::ack, kAddressSelected, 0,
                            "select witness " + w.to_string());
  r.retry_garbled = false;
  r.linger = !witness();  // every meter's E5: none must stray into the next selection
  return r;
}

std::optional<SecondaryAddress> SecondaryScan::witness() const {
  std::vector<const ScanHit*> identified;
  for (const ScanHit& h : hits_) {
    if (h.identified) identified.push_back(&h);
  }
  if (identified.empty()) return std::nullopt;
  return identified[witness_ % identified.size()]->secondary;
}

void SecondaryScan::doubt(const char* why) {
  doubtful_ = true;
  why_ = why;
  // An answer that came late was still on its way when the wait ended: wait longer now - and,
  // when it had waited less too soon, stay patient longer before waiting less again.
  if (why_ == kLate) {
    patience_ = std::min(patience_ * 2, kMaxPatience);
    if (std::exchange(relented_, false)) calm_needed_ = std::min(calm_needed_ * 2, 1024u);
    calm_ = 0;
  }
}

void SecondaryScan::on_outcome(const link::Request&, const link::Outcome& outcome) {
  if (outcome.late) doubt(kLate);
  switch (stage_) {
    case Stage::reset:
      stage_ = Stage::select;
      return;
    case Stage::select:
      return on_selected(outcome);
    case Stage::confirm:
      return on_confirmed(outcome);
    case Stage::witness:
    case Stage::witness_read:
      return on_witness(outcome);
  }
}

void SecondaryScan::on_selected(const link::Outcome& outcome) {
  using Answer = SecondarySearch::Answer;
  if (outcome.kind == link::OutcomeKind::silent) {
    unproven_ = true;
    if (!std::exchange(second_look_, true)) return;  // the same mask again, after the witness
    second_look_ = false;
    // Silent where an E5 came just before: that E5 answered an earlier selection, late.
    if (std::exchange(rechecking_, false)) doubt(kLate);
    search_.answer(Answer::none);
    return;
  }
  second_look_ = false;
  answered_ = true;
  if (outcome.kind == link::OutcomeKind::garbled || outcome.noise) {
    rechecking_ = false;
    search_.answer(Answer::collision);
  } else {
    stage_ = Stage::confirm;  // one E5: is it one meter? Its telegram will say.
  }
}

void SecondaryScan::on_confirmed(const link::Outcome& outcome) {
  using Answer = SecondarySearch::Answer;
  stage_ = Stage::select;
  if (outcome.kind == link::OutcomeKind::garbled || outcome.noise) {
    rechecking_ = false;
    search_.answer(Answer::collision);  // two selected meters answered at once
    return;
  }
  if (outcome.kind == link::OutcomeKind::silent && !rechecking_) {
    rechecking_ = true;  // select the same mask again: next() still offers it
    return;
  }
  if (outcome.kind == link::OutcomeKind::silent && !fully_specified(mask_)) {
    // Selected, twice, and no telegram: several meters whose telegrams collided where
    // nothing passes a broken frame on (a concentrator forwarding complete frames only).
    // A mask with wildcards is no meter's address.
    rechecking_ = false;
    search_.answer(Answer::collision);
    return;
  }
  ScanHit hit;
  hit.secondary = mask_;
  if (outcome.kind == link::OutcomeKind::answered) {
    hit.telegram = outcome.frame;
    if (const auto id = identity_of(outcome.frame)) {
      hit.secondary = *id;
      hit.identified = true;
    }
  }
  const bool selected = under(hit.secondary, mask_);
  add_hit(std::move(hit));  // a meter on this bus either way
  if (selected) {
    rechecking_ = false;
    search_.answer(Answer::single);
    return;
  }
  // The telegram of a meter this mask does not select: the answer to an earlier selection,
  // come late. Who is under the mask is unknown - the E5 may have been late as well: it is
  // selected again, and then searched below.
  doubt(kLate);
  if (!std::exchange(rechecking_, true)) return;
  rechecking_ = false;
  search_.answer(fully_specified(mask_) ? Answer::none : Answer::collision);
}

// The witness answered (its E5, then its telegram alone), or did not.
void SecondaryScan::on_witness(const link::Outcome& outcome) {
  const bool read = stage_ == Stage::witness_read;
  // Before a meter was identified any answer to the first mask will do (a collision too).
  const bool clean = read ? outcome.kind == link::OutcomeKind::answered && !outcome.noise &&
                                outcome.received.size() == outcome.frame.size()
                     : witness() ? outcome.kind == link::OutcomeKind::answered && !outcome.noise
                                 : outcome.kind != link::OutcomeKind::silent;
  if (clean && !read && witness()) {
    stage_ = Stage::witness_read;
    return;
  }
  if (!clean) {
    // Silent: the line is dark (or the witness gone: ask another). Bytes besides the
    // witness's own: answers of earlier selections still arriving.
    doubt(outcome.kind == link::OutcomeKind::silent ? "the line stopped answering" : kLate);
    ++witness_;
    stage_ = Stage::witness;
    if (++witness_tries_ >= kWitnessTries) {
      fail(link::Verdict::no_answer,
           why_ + " (" + std::to_string(kWitnessTries) + " attempts to read a meter found): " +
               std::to_string(hits_.size()) + " meter(s) found, there may be more");
    }
    return;
  }
  // Answered only after failing: the line was dark, or slower than the wait - wait longer.
  if (std::exchange(witness_tries_, 0) > 0) doubt(kLate);
  stage_ = Stage::select;
  unproven_ = false;
  if (!std::exchange(doubtful_, false)) {
    proven_ = search_;
    // A line calm for a while again gets back some of the patience it cost.
    if (patience_ > 1 && ++calm_ >= calm_needed_) {
      patience_ /= 2;
      calm_ = 0;
      relented_ = true;
    }
    return;
  }
  // The silences since the witness last answered may not be true: searched again.
  search_ = proven_;
  rechecking_ = second_look_ = false;
  if (++rewinds_ > kMaxRewinds) {
    fail(link::Verdict::no_answer,
         why_ + " again and again (" + std::to_string(kMaxRewinds) +
             " times the search went back): " + std::to_string(hits_.size()) +
             " meter(s) found, there may be more");
  }
}

void SecondaryScan::resume(std::size_t probes) {
  paused_ = false;
  stage_ = Stage::reset;
  rerun();
  pause_after(probes);
}

SecondaryScan::Checkpoint SecondaryScan::checkpoint() const {
  // Where the witness last answered: a silence after it may not be true.
  const SecondarySearch& at = unproven_ || doubtful_ ? proven_ : search_;
  Checkpoint c{at.cursor(), at.probes(), {}};
  for (const ScanHit& h : hits_) c.found.push_back(h.secondary);
  return c;
}

bool SecondaryScan::restore(const Checkpoint& checkpoint) {
  if (!search_.restore(checkpoint.cursor, checkpoint.probes, checkpoint.found)) return false;
  proven_ = search_;
  hits_.clear();
  for (const SecondaryAddress& a : checkpoint.found) add_hit(ScanHit{0, a, true, false, {}});
  paused_ = true;  // resume() carries on, after a reset of the bus
  stage_ = Stage::reset;
  rechecking_ = second_look_ = unproven_ = doubtful_ = false;
  return true;
}

void SecondaryScan::add_hit(ScanHit hit) {
  const bool known = std::any_of(hits_.begin(), hits_.end(),
                                 [&](const ScanHit& h) { return h.secondary == hit.secondary; });
  if (!known) hits_.push_back(std::move(hit));
}

// ---- SetPrimaryAddress

SetPrimaryAddress::SetPrimaryAddress(const Target& target, std::uint8_t new_address,
                                     unsigned retries)
    : target_(target), new_address_(new_address), retries_(retries) {}

std::optional<link::Request> SetPrimaryAddress::next() {
  const std::string to = address_text(new_address_);
  switch (stage_) {
    case Stage::check_free:
      return request(snd_nke(new_address_), link::Expect::ack, new_address_, 1, "SND_NKE to " + to);
    case Stage::select:
      return request(select_secondary(target_.secondary), link::Expect::ack, kAddressSelected,
                     retries_, "select " + target_.secondary.to_string());
    case Stage::write:
      return request(set_primary_address(target_.link_address(), new_address_), link::Expect::ack,
                     target_.link_address(), retries_,
                     "set address of " + target_.to_string() + " to " + to);
    case Stage::confirm:
      return request(snd_nke(new_address_), link::Expect::ack, new_address_, retries_,
                     "SND_NKE to " + to);
    case Stage::done:
      return std::nullopt;
  }
  return std::nullopt;
}

void SetPrimaryAddress::on_outcome(const link::Request& request, const link::Outcome& outcome) {
  const bool answered = outcome.kind == link::OutcomeKind::answered;
  switch (stage_) {
    case Stage::check_free:
      if (outcome.kind != link::OutcomeKind::silent) {
        fail(link::Verdict::refused,
             "address " + address_text(new_address_) + " is already in use on this bus");
        stage_ = Stage::done;
        return;
      }
      stage_ = target_.by_secondary ? Stage::select : Stage::write;
      return;
    case Stage::select:
    case Stage::write:
      if (!answered) {
        fail_on(request, outcome);
        stage_ = Stage::done;
        return;
      }
      stage_ = stage_ == Stage::select ? Stage::write : Stage::confirm;
      return;
    case Stage::confirm:
      if (answered) {
        succeed();
      } else {
        fail(outcome.kind == link::OutcomeKind::silent ? link::Verdict::no_answer
                                                       : link::Verdict::garbled,
             "the meter took the command but does not answer at address " +
                 address_text(new_address_));
      }
      stage_ = Stage::done;
      return;
    case Stage::done:
      return;
  }
}

// ---- SetClock

SetClock::SetClock(const Target& target, const TimePoint& time, unsigned retries)
    : target_(target),
      time_(time),
      retries_(retries),
      stage_(target.by_secondary ? Stage::select : Stage::write) {}

std::optional<link::Request> SetClock::next() {
  switch (stage_) {
    case Stage::select:
      return request(select_secondary(target_.secondary), link::Expect::ack, kAddressSelected,
                     retries_, "select " + target_.secondary.to_string());
    case Stage::write:
      return request(set_clock(target_.link_address(), time_), link::Expect::ack,
                     target_.link_address(), retries_, "set the clock of " + target_.to_string());
    case Stage::done:
      return std::nullopt;
  }
  return std::nullopt;
}

void SetClock::on_outcome(const link::Request& request, const link::Outcome& outcome) {
  if (outcome.kind != link::OutcomeKind::answered) {
    fail_on(request, outcome);
    stage_ = Stage::done;
    return;
  }
  if (stage_ == Stage::select) {
    stage_ = Stage::write;
    return;
  }
  succeed();
  stage_ = Stage::done;
}

// ---- RawExchange

RawExchange::RawExchange(std::vector<std::uint8_t> bytes, unsigned retries)
    : bytes_(std::move(bytes)), retries_(retries) {}

std::optional<link::Request> RawExchange::next() {
  if (sent_) return std::nullopt;
  sent_ = true;
  link::Request r;
  r.bytes = bytes_;
  r.expect = link::Expect::any_frame;
  r.retries = retries_;
  r.what = "raw request";
  return r;
}

void RawExchange::on_outcome(const link::Request& request, const link::Outcome& outcome) {
  outcome_ = outcome;
  if (outcome.kind == link::OutcomeKind::answered) {
    succeed();
  } else {
    fail_on(request, outcome);
  }
}

}  // namespace heatlink::protocol::mbus
