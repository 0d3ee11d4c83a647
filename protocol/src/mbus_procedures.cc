#include "heatlink/protocol/mbus_procedures.h"

#include <algorithm>
#include <charconv>

#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::protocol::mbus {

namespace {

// Whether a selection mask names one address: no nibble is F, the wildcard.
bool fully_specified(const SecondaryAddress& mask) {
  const std::uint64_t bits = std::uint64_t{mask.id} << 32 | std::uint64_t{mask.manufacturer} << 16 |
                             std::uint64_t{mask.version} << 8 | mask.medium;
  for (int shift = 0; shift < 64; shift += 4) {
    if (((bits >> shift) & 0xF) == 0xF) return false;
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

SecondaryScan::SecondaryScan(const SecondaryAddress& start) : search_(start) {}

std::optional<link::Request> SecondaryScan::next() {
  switch (stage_) {
    case Stage::reset:
      // SND_NKE to FF: every meter forgets its selection and FCB state; nobody answers.
      return request(snd_nke(kAddressBroadcast), link::Expect::nothing, kAddressBroadcast, 0,
                     "SND_NKE to all");
    case Stage::select: {
      const auto mask = search_.next();
      if (!mask) {
        if (!finished()) succeed();
        return std::nullopt;
      }
      if (pause_at_ != 0 && search_.probes() >= pause_at_ && !rechecking_) {
        paused_ = true;
        succeed();
        return std::nullopt;
      }
      mask_ = *mask;
      // One retry, as libmbus does: a lost or late E5 would hide a whole subtree. Garble is
      // a collision: an answer, not a reason to ask again.
      link::Request r = request(select_secondary(mask_), link::Expect::ack, kAddressSelected, 1,
                                "select " + mask_.to_string());
      r.retry_garbled = false;
      return r;
    }
    case Stage::confirm:
      return request(req_ud2(kAddressSelected, true), link::Expect::mbus_reply, kAddressSelected, 1,
                     "REQ_UD2 to " + mask_.to_string());
  }
  return std::nullopt;
}

void SecondaryScan::on_outcome(const link::Request&, const link::Outcome& outcome) {
  using Answer = SecondarySearch::Answer;
  switch (stage_) {
    case Stage::reset:
      stage_ = Stage::select;
      return;
    case Stage::select:
      if (outcome.kind == link::OutcomeKind::silent) {
        rechecking_ = false;
        search_.answer(Answer::none);
      } else if (outcome.kind == link::OutcomeKind::garbled || outcome.noise) {
        rechecking_ = false;
        search_.answer(Answer::collision);
      } else {
        stage_ = Stage::confirm;  // one E5: is it one meter? Its telegram will say.
      }
      return;
    case Stage::confirm: {
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
      rechecking_ = false;
      if (outcome.kind == link::OutcomeKind::silent && !fully_specified(mask_)) {
        // Selected, twice, and no telegram: several meters whose telegrams collided where
        // nothing passes a broken frame on (a concentrator forwarding complete frames only).
        // A mask with wildcards is no meter's address.
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
      search_.answer(Answer::single);
      add_hit(std::move(hit));
      return;
    }
  }
}

void SecondaryScan::resume(std::size_t probes) {
  paused_ = false;
  stage_ = Stage::reset;
  rerun();
  pause_after(probes);
}

SecondaryScan::Checkpoint SecondaryScan::checkpoint() const {
  Checkpoint c{search_.cursor(), search_.probes(), {}};
  for (const ScanHit& h : hits_) c.found.push_back(h.secondary);
  return c;
}

bool SecondaryScan::restore(const Checkpoint& checkpoint) {
  if (!search_.restore(checkpoint.cursor, checkpoint.probes, checkpoint.found)) return false;
  hits_.clear();
  for (const SecondaryAddress& a : checkpoint.found) add_hit(ScanHit{0, a, true, false, {}});
  paused_ = true;  // resume() carries on, after a reset of the bus
  stage_ = Stage::reset;
  rechecking_ = false;
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
