#include "heatlink/protocol/link.h"

#include <algorithm>
#include <utility>

namespace heatlink::protocol::link {

namespace {

constexpr Micros kSecond = 1'000'000;

bool is_mbus_reply(const AnyScanResult& r, std::uint8_t address) {
  if (r.protocol != Protocol::mbus || r.mbus.type != mbus::FrameType::long_frame) return false;
  if (r.mbus.from_master()) return false;
  return address == mbus::kAddressSelected || address == mbus::kAddressBroadcastReply ||
         r.mbus.a == address;
}

}  // namespace

const char* outcome_name(OutcomeKind kind) noexcept {
  switch (kind) {
    case OutcomeKind::answered:
      return "answered";
    case OutcomeKind::silent:
      return "silent";
    case OutcomeKind::garbled:
      return "garbled";
  }
  return "?";
}

const char* verdict_name(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::running:
      return "running";
    case Verdict::ok:
      return "ok";
    case Verdict::no_answer:
      return "no_answer";
    case Verdict::garbled:
      return "garbled";
    case Verdict::refused:
      return "refused";
  }
  return "?";
}

void ProcedureBase::fail_on(const Request& request, const Outcome& outcome) {
  const std::string tries =
      outcome.attempts == 1 ? "" : " after " + std::to_string(outcome.attempts) + " attempts";
  if (outcome.kind == OutcomeKind::silent) {
    fail(Verdict::no_answer, request.what + ": no answer" + tries);
  } else {
    fail(Verdict::garbled, request.what + ": unreadable answer (" + outcome.detail + ")" + tries);
  }
}

Micros Timing::wire_time(std::size_t bytes) const noexcept {
  const unsigned rate = baud == 0 ? 2400 : baud;
  return static_cast<Micros>(bytes) * 11 * kSecond / rate;
}

Micros Timing::response_timeout(std::size_t request_bytes) const noexcept {
  if (fixed_timeout > 0) return fixed_timeout;
  const unsigned rate = baud == 0 ? 2400 : baud;
  const Micros forwarding = store_and_forward ? wire_time(kMaxFrameSize) : 0;
  return wire_time(request_bytes) + 330 * kSecond / rate + slave_slack + latency + forwarding;
}

Micros Timing::completion_time(std::size_t missing_bytes) const noexcept {
  const unsigned rate = baud == 0 ? 2400 : baud;
  const Micros slack = fixed_timeout > 0 ? fixed_timeout : latency;
  return wire_time(missing_bytes) + 33 * kSecond / rate + slack;
}

Exchange::Exchange(Procedure& procedure, Timing timing, Observer observer)
    : procedure_(procedure), timing_(timing), observer_(std::move(observer)) {}

Exchange::Step Exchange::start(Micros now) {
  return advance(now);
}

Exchange::Step Exchange::advance(Micros now) {
  std::optional<Request> next = procedure_.next();
  if (!next) {
    phase_ = Phase::done;
    return current_step();
  }
  request_ = std::move(*next);
  attempt_ = 0;
  if (request_.delay > 0) {
    phase_ = Phase::pausing;
    deadline_ = now + request_.delay;
    return current_step();
  }
  return send_current(now);
}

Exchange::Step Exchange::send_current(Micros now) {
  ++attempt_;
  phase_ = Phase::waiting;
  stream_.clear();  // whatever came before this request is not its answer
  echo_matched_ = 0;
  echo_over_ = false;
  outcome_ = Outcome{};
  answered_ = false;
  const std::size_t size = request_.bytes.size();
  deadline_ = now + (request_.expect == Expect::nothing
                         ? timing_.wire_time(size) + timing_.completion_time(0)
                         : timing_.response_timeout(size) * std::max(request_.patience, 1u));
  Step step = current_step();
  step.send = request_.bytes;
  return step;
}

Exchange::Step Exchange::current_step() const {
  Step step;
  step.done = phase_ == Phase::done;
  step.deadline = deadline_;
  return step;
}

Exchange::Step Exchange::on_bytes(Bytes bytes, Micros now) {
  if (phase_ != Phase::waiting) {  // late bytes of a finished request
    late_ = true;
    return current_step();
  }
  std::vector<std::uint8_t> fresh;
  fresh.reserve(bytes.size());
  for (const std::uint8_t b : bytes) {
    // A level converter that echoes sends the request back first, byte for byte. A reply may
    // begin like the request (CJ/T 188 does), so matched bytes go back into the stream as
    // soon as one differs.
    if (!echo_over_ && echo_matched_ < request_.bytes.size()) {
      if (b == request_.bytes[echo_matched_]) {
        ++echo_matched_;
        continue;
      }
      fresh.insert(fresh.end(), request_.bytes.begin(),
                   request_.bytes.begin() + static_cast<std::ptrdiff_t>(echo_matched_));
    }
    echo_over_ = true;
    fresh.push_back(b);
  }
  if (fresh.empty()) return current_step();
  outcome_.received.insert(outcome_.received.end(), fresh.begin(), fresh.end());
  if (answered_) return current_step();  // lingering: whatever else comes is only noted
  if (request_.expect == Expect::nothing) {
    outcome_.detail = "an answer came where none was due";
    return current_step();
  }
  std::size_t offered = 0;
  while (offered < fresh.size()) {
    offered += stream_.feed(Bytes(fresh).subspan(offered));
    drain(now);
    if (answered_)
      return request_.linger ? current_step() : finish_attempt(OutcomeKind::answered, now);
  }
  return current_step();
}

void Exchange::drain(Micros now) {
  for (AnyScanResult r = stream_.next(); !answered_; r = stream_.next()) {
    if (r.status == mbus::ScanStatus::need_more) {
      if (stream_.buffered() > 0) {
        deadline_ =
            std::max(deadline_, now + timing_.completion_time(std::max<std::size_t>(r.missing, 1)));
      }
      return;
    }
    // A lone E5 before a telegram is a late acknowledgement of an earlier request (a
    // repeated selection), not a second voice: collisions garble bytes.
    if (r.status == mbus::ScanStatus::complete && request_.expect == Expect::mbus_reply &&
        r.protocol == Protocol::mbus && r.mbus.type == mbus::FrameType::ack) {
      continue;
    }
    if (r.status == mbus::ScanStatus::complete && matches(r)) {
      if (!request_.accept || request_.accept(r)) {
        outcome_.frame.assign(r.bytes.begin(), r.bytes.end());
        outcome_.protocol = r.protocol;
        answered_ = true;
        return;
      }
      late_ = true;  // the frame a request before asked for
    }
    outcome_.noise = true;
    if (outcome_.detail.empty()) {
      outcome_.detail =
          r.status == mbus::ScanStatus::complete ? "an unexpected frame" : r.error.message();
    }
  }
}

bool Exchange::matches(const AnyScanResult& r) const {
  const bool ack = r.protocol == Protocol::mbus && r.mbus.type == mbus::FrameType::ack;
  switch (request_.expect) {
    case Expect::ack:
      return ack;
    case Expect::mbus_reply:
      return is_mbus_reply(r, request_.mbus_address);
    case Expect::ack_or_reply:
      return ack || is_mbus_reply(r, request_.mbus_address);
    case Expect::cjt188_reply:
      return r.protocol == Protocol::cjt188 && r.cjt188.is_reply() &&
             (request_.cjt188_address.is_wildcard() || r.cjt188.address == request_.cjt188_address);
    case Expect::any_frame:
      return true;
    case Expect::nothing:
      return false;
  }
  return false;
}

Exchange::Step Exchange::on_deadline(Micros now) {
  if (phase_ == Phase::pausing) return send_current(now);
  if (phase_ != Phase::waiting) return current_step();
  if (now < deadline_) return current_step();
  if (answered_) return finish_attempt(OutcomeKind::answered, now);  // lingered
  if (request_.expect == Expect::nothing) {
    return finish_attempt(outcome_.received.empty() ? OutcomeKind::silent : OutcomeKind::garbled,
                          now);
  }
  if (outcome_.received.empty()) return finish_attempt(OutcomeKind::silent, now);
  if (outcome_.detail.empty()) outcome_.detail = "an incomplete frame";
  return finish_attempt(OutcomeKind::garbled, now);
}

Exchange::Step Exchange::finish_attempt(OutcomeKind kind, Micros now) {
  const bool failed = kind != OutcomeKind::answered &&
                      !(request_.expect == Expect::nothing && kind == OutcomeKind::silent) &&
                      (kind == OutcomeKind::silent || request_.retry_garbled);
  if (failed && attempt_ <= request_.retries) return send_current(now);
  outcome_.kind = kind;
  outcome_.attempts = attempt_;
  outcome_.late = std::exchange(late_, false);
  if (observer_) observer_(request_, outcome_);
  procedure_.on_outcome(request_, outcome_);
  return advance(now);
}

}  // namespace heatlink::protocol::link
