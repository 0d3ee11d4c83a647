#include "heatlink/protocol/cjt188_procedures.h"

#include <string>

namespace heatlink::protocol::cjt188 {

namespace {

link::Request request(const FrameBytes& frame, const Address& address, unsigned retries,
                      std::string what) {
  link::Request r;
  r.bytes = frame.to_vector();
  r.expect = link::Expect::cjt188_reply;
  r.cjt188_address = address;
  r.retries = retries;
  r.what = std::move(what);
  return r;
}

std::optional<Frame> reply_frame(const link::Outcome& outcome) {
  auto frame = decode_frame(outcome.frame);
  if (!frame) return std::nullopt;
  return *frame;
}

// An error reply, in words: "the meter refused 901F (status 01 00)".
std::string refusal(const Frame& frame, const char* what) {
  std::string text = std::string("the meter refused ") + what;
  if (!frame.data.empty()) text += " (status " + to_hex(frame.data) + ")";
  return text;
}

std::string di_text(std::uint16_t di) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text = "DI ";
  for (int shift = 12; shift >= 0; shift -= 4) text += kHex[(di >> shift) & 0xF];
  return text;
}

}  // namespace

// ---- DataRead

DataRead::DataRead(const MeterId& meter, std::uint16_t di, unsigned retries)
    : meter_(meter), di_(di), retries_(retries) {}

std::optional<link::Request> DataRead::next() {
  if (sent_) return std::nullopt;
  sent_ = true;
  return request(read_data(meter_.meter_type, meter_.address, di_, 0, meter_.profile),
                 meter_.address, retries_,
                 "read " + di_text(di_) + " of " + meter_.address.to_string());
}

void DataRead::on_outcome(const link::Request& request, const link::Outcome& outcome) {
  if (outcome.kind != link::OutcomeKind::answered) return fail_on(request, outcome);
  reply_ = outcome.frame;
  const auto frame = reply_frame(outcome);
  if (frame && frame->is_error()) return fail(link::Verdict::refused, refusal(*frame, "the read"));
  succeed();
}

// ---- AddressRead

AddressRead::AddressRead(std::uint8_t meter_type, unsigned retries)
    : meter_type_(meter_type), retries_(retries) {}

std::optional<link::Request> AddressRead::next() {
  if (sent_) return std::nullopt;
  sent_ = true;
  return request(read_address(meter_type_, 0), Address::wildcard(), retries_,
                 "read address (wildcard)");
}

void AddressRead::on_outcome(const link::Request& request, const link::Outcome& outcome) {
  if (outcome.kind != link::OutcomeKind::answered) return fail_on(request, outcome);
  const auto frame = reply_frame(outcome);
  if (!frame) return fail(link::Verdict::garbled, "read address: the reply does not decode");
  if (frame->is_error()) return fail(link::Verdict::refused, refusal(*frame, "read address"));
  address_ = frame->address;
  meter_type_ = frame->meter_type;
  succeed();
}

// ---- ValveCommand

ValveCommand::ValveCommand(const MeterId& meter, bool open, ValveOptions options)
    : meter_(meter), open_(open), options_(options) {}

std::optional<link::Request> ValveCommand::next() {
  if (finished_) return std::nullopt;
  const std::string who = meter_.address.to_string();
  ++ser_;
  if (!commanded_) {
    return request(valve_control(meter_.meter_type, meter_.address,
                                 open_ ? kValveOpen : kValveClose, ser_, meter_.profile),
                   meter_.address, options_.retries,
                   std::string(open_ ? "open" : "close") + " the valve of " + who);
  }
  link::Request r =
      request(read_data(meter_.meter_type, meter_.address, kDiCurrentData, ser_, meter_.profile),
              meter_.address, options_.retries, "poll the valve of " + who);
  r.delay = options_.poll_interval;
  return r;
}

void ValveCommand::on_outcome(const link::Request& request, const link::Outcome& outcome) {
  finished_ = true;
  if (outcome.kind != link::OutcomeKind::answered) return fail_on(request, outcome);
  const auto frame = reply_frame(outcome);
  if (!frame) return fail(link::Verdict::garbled, request.what + ": the reply does not decode");
  if (frame->is_error()) return fail(link::Verdict::refused, refusal(*frame, request.what.c_str()));
  if (commanded_) {
    ++polls_;
    Reply reply;
    if (decode_reply(*frame, reply) && reply.has_status) last_seen_ = reply.status.valve();
    const Valve wanted = open_ ? Valve::open : Valve::closed;
    if (last_seen_ == wanted) return succeed();
    if (last_seen_ == Valve::fault) {
      return fail(link::Verdict::refused, "the meter reports a valve fault");
    }
    if (polls_ >= options_.max_polls) {
      return fail(link::Verdict::refused, std::string("the valve is still ") +
                                              valve_name(last_seen_) + " after " +
                                              std::to_string(polls_) + " polls");
    }
  }
  commanded_ = true;
  finished_ = false;
}

// ---- TimeSet

TimeSet::TimeSet(const MeterId& meter, const mbus::TimePoint& time, unsigned retries)
    : meter_(meter), time_(time), retries_(retries) {}

std::optional<link::Request> TimeSet::next() {
  if (sent_) return std::nullopt;
  sent_ = true;
  return request(set_time(meter_.meter_type, meter_.address, time_, 0, meter_.profile),
                 meter_.address, retries_, "set the clock of " + meter_.address.to_string());
}

void TimeSet::on_outcome(const link::Request& request, const link::Outcome& outcome) {
  if (outcome.kind != link::OutcomeKind::answered) return fail_on(request, outcome);
  const auto frame = reply_frame(outcome);
  if (frame && frame->is_error()) return fail(link::Verdict::refused, refusal(*frame, "the time"));
  succeed();
}

}  // namespace heatlink::protocol::cjt188
