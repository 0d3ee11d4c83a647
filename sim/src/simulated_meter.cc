#include "heatlink/sim/simulated_meter.h"

namespace heatlink::sim {

namespace cjt188 = protocol::cjt188;

SimulatedMeter::SimulatedMeter(MeterKind kind, const MeterIdentity& identity,
                               const HeatMeterModel& model, const HeatStation& station,
                               const EventQueue& clock)
    : kind_(kind),
      identity_(identity),
      model_(model),
      slave_(*this, identity.primary,
             protocol::mbus::SecondaryAddress{identity.id, identity.manufacturer(kind),
                                              identity.version(kind), identity.medium(kind)}),
      station_(&station),
      clock_(&clock) {}

void SimulatedMeter::replace(std::uint32_t id, double energy_kwh) {
  model_now();
  identity_.id = id;
  model_.reset_registers();
  model_.step_energy(energy_kwh);
  const std::uint8_t primary = slave_.primary();
  slave_ = MbusSlave(
      *this, primary,
      protocol::mbus::SecondaryAddress{id, identity_.manufacturer(kind_), identity_.version(kind_),
                                       identity_.medium(kind_)});
  access_number_ = 0;
}

const HeatMeterModel& SimulatedMeter::model_now() {
  model_.advance(clock_->now(), *station_);
  return model_;
}

TelegramContext SimulatedMeter::context(Micros now) {
  model_.advance(now, *station_);
  const Calendar& calendar = *station_->calendar;
  return TelegramContext{kind_,
                         identity_,
                         model_,
                         calendar.at(model_.meter_time(now)),
                         calendar.at(model_.state().billing_time),
                         ++access_number_,
                         data_set_};
}

protocol::FrameBytes SimulatedMeter::telegram(std::uint8_t address, std::size_t part, bool* more) {
  if (part == 0) record_answer(clock_->now());
  return mbus_telegram(context(clock_->now()), address, part, more);
}

void SimulatedMeter::keep_answers(std::size_t count) {
  if (count == 0) {
    answers_.reset();
    return;
  }
  if (!answers_) answers_ = std::make_unique<AnswerLog>();
  answers_->keep = count;
}

const std::deque<SimulatedMeter::Answer>& SimulatedMeter::answers() const noexcept {
  static const std::deque<Answer> none;
  return answers_ ? answers_->answers : none;
}

void SimulatedMeter::record_answer(Micros now) {
  if (!answers_) return;
  answers_->answers.push_back(Answer{now, model_now().state().energy_kwh});
  while (answers_->answers.size() > answers_->keep) answers_->answers.pop_front();
}

protocol::FrameBytes SimulatedMeter::preview() {
  const std::uint8_t access = access_number_;
  protocol::FrameBytes frame;
  if (kind_ == MeterKind::cjt188_heat) {
    const protocol::FrameBytes bytes =
        protocol::cjt188::read_data(protocol::cjt188::kHeatHeating, identity_.cjt188_address(),
                                    protocol::cjt188::kDiCurrentData, 0, identity_.cjt188);
    const auto request = protocol::cjt188::decode_frame(bytes.view());
    if (request.ok()) {
      if (auto reply = receive_cjt188(request.value())) frame = *reply;
    }
  } else {
    bool more = false;
    frame = telegram(slave_.primary(), 0, &more);
  }
  access_number_ = access;
  return frame;
}

std::optional<protocol::FrameBytes> SimulatedMeter::alarm(std::uint8_t address) {
  return mbus_alarm(context(clock_->now()), address);
}

void SimulatedMeter::set_clock(const protocol::mbus::TimePoint& time) {
  if (time.invalid) return;
  const CivilTime civil{time.year, time.month, time.day, time.hour, time.minute, time.second};
  model_.set_meter_time(clock_->now(), station_->calendar->time_of(civil));
}

void SimulatedMeter::application_reset(std::optional<std::uint8_t> subcode) {
  if (kind_ != MeterKind::sonometer30) return;
  switch (subcode.value_or(0)) {
    case 0x10:
      data_set_ = DataSet::all;
      break;
    case 0x20:
      data_set_ = DataSet::billing;
      break;
    case 0x30:
      data_set_ = DataSet::instantaneous;
      break;
    default:
      data_set_ = DataSet::standard;
      break;
  }
}

namespace {

// ss mm hh DD MM YY CC, BCD, into a civil time; nothing when a byte is not BCD.
std::optional<CivilTime> civil_of(protocol::Bytes b) {
  int f[7];
  for (std::size_t i = 0; i < 7; ++i) {
    std::uint64_t v = 0;
    if (!protocol::bcd_to_uint(b.subspan(i, 1), v)) return std::nullopt;
    f[i] = static_cast<int>(v);
  }
  if (f[4] < 1 || f[4] > 12 || f[3] < 1 || f[3] > 31 || f[2] > 23 || f[1] > 59 || f[0] > 59) {
    return std::nullopt;
  }
  return CivilTime{f[6] * 100 + f[5], f[4], f[3], f[2], f[1], f[0]};
}

}  // namespace

std::optional<protocol::FrameBytes> SimulatedMeter::receive_cjt188(const cjt188::Frame& request) {
  if (kind_ != MeterKind::cjt188_heat || request.is_reply()) return std::nullopt;
  const cjt188::Address own = identity_.cjt188_address();
  if (!request.address.is_wildcard() && request.address != own) return std::nullopt;
  if (request.meter_type < cjt188::kHeatHeating || request.meter_type > cjt188::kHeatAndCooling) {
    return std::nullopt;
  }
  const Micros now = clock_->now();
  const TelegramContext ctx = context(now);
  const cjt188::VendorProfile& profile = identity_.cjt188;
  cjt188::FrameSpec reply{cjt188::kHeatHeating,
                          own,
                          static_cast<std::uint8_t>(request.control | cjt188::kReplyBit),
                          true,
                          request.di,
                          request.ser,
                          {}};
  std::vector<std::uint8_t> data;
  auto status_bytes = [&] {
    const cjt188::Status st = cjt188_status(model_, now);
    data = {st.st1, st.st2};
  };
  bool ok = true;
  switch (request.function()) {
    case cjt188::kReadData:
      if (request.di == cjt188::kDiCurrentData) {
        auto heat = cjt188::encode_heat_data(cjt188_heat_data(ctx, now), profile);
        ok = heat.ok();
        if (ok) data = std::move(*heat);
      } else if (request.di >= cjt188::kDiSettlementFirst &&
                 request.di <= cjt188::kDiSettlementLast) {
        const float kwh = model_.state().month_end_kwh[request.di - cjt188::kDiSettlementFirst];
        std::uint8_t value[4];
        protocol::uint_to_bcd(static_cast<std::uint64_t>(static_cast<double>(kwh) * 100), value);
        if (profile.unit_placement == cjt188::UnitPlacement::before_value) data.push_back(0x05);
        data.insert(data.end(), value, value + 4);
        if (profile.unit_placement == cjt188::UnitPlacement::after_value) data.push_back(0x05);
      } else if (request.di == cjt188::kDiClock) {
        const auto time = cjt188::encode_time(cjt188_heat_data(ctx, now).time);
        data.assign(time.begin(), time.end());
      } else if (request.di == cjt188::kDiSettlementDay || request.di == cjt188::kDiReadingDay) {
        data = {0x01};  // the first of the month
      } else {
        ok = false;
      }
      break;
    case cjt188::kReadAddress:
      ok = request.di == cjt188::kDiReadAddress;
      break;
    case cjt188::kWriteData:
      if (request.di == cjt188::kDiValve && request.data.size() >= 1 &&
          (request.data[0] == cjt188::kValveOpen || request.data[0] == cjt188::kValveClose)) {
        model_.command_valve(request.data[0] == cjt188::kValveOpen, now, valve_travel);
        status_bytes();  // the valve has not moved yet: the status shows where it is
      } else if (request.di == cjt188::kDiSetTime && request.data.size() >= 7) {
        const auto civil = civil_of(request.data.subspan(0, 7));
        ok = civil.has_value();
        if (ok) model_.set_meter_time(now, station_->calendar->time_of(*civil));
        status_bytes();
      } else {
        ok = false;
      }
      break;
    default:
      ok = false;
  }
  if (!ok) {  // error reply: SER and the status
    reply.control =
        static_cast<std::uint8_t>(request.control | cjt188::kReplyBit | cjt188::kErrorBit);
    reply.has_di = false;
    status_bytes();
  }
  reply.data = data;
  const auto frame = cjt188::encode_frame(reply, profile);
  if (!frame.ok()) return std::nullopt;
  if (ok) record_answer(now);
  return *frame;
}

}  // namespace heatlink::sim
