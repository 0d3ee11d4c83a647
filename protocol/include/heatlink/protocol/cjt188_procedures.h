// The master's CJ/T 188 procedures (REFERENCE.md section 4), each a link::Procedure.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/link.h"

namespace heatlink::protocol::cjt188 {

struct MeterId {
  std::uint8_t meter_type = kHeatHeating;
  Address address;
  VendorProfile profile;  // the request's DI order and preamble
};

// Reads one data identifier (901F current data by default) of one meter.
class DataRead : public link::ProcedureBase {
 public:
  explicit DataRead(const MeterId& meter, std::uint16_t di = kDiCurrentData, unsigned retries = 3);
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;
  // The reply frame as received (ok), or the error reply (refused).
  const std::vector<std::uint8_t>& reply() const noexcept { return reply_; }

 private:
  MeterId meter_;
  std::uint16_t di_;
  unsigned retries_;
  bool sent_ = false;
  std::vector<std::uint8_t> reply_;
};

// Asks "who is there" at the wildcard address: only for a bus with one CJ/T 188 meter (or a
// point-to-point line), as the protocol intends.
class AddressRead : public link::ProcedureBase {
 public:
  explicit AddressRead(std::uint8_t meter_type = kHeatHeating, unsigned retries = 3);
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;
  const std::optional<Address>& address() const noexcept { return address_; }
  std::uint8_t meter_type() const noexcept { return meter_type_; }

 private:
  std::uint8_t meter_type_;
  unsigned retries_;
  bool sent_ = false;
  std::optional<Address> address_;
};

struct ValveOptions {
  unsigned retries = 3;
  link::Micros poll_interval = 5'000'000;  // a motorised valve takes seconds to travel
  unsigned max_polls = 12;
};

// Opens or closes a valve (DI A017) and confirms it: reads 901F every poll_interval until
// the status bits show the valve where it was sent, or max_polls have passed.
class ValveCommand : public link::ProcedureBase {
 public:
  ValveCommand(const MeterId& meter, bool open, ValveOptions options = {});
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;
  Valve last_seen() const noexcept { return last_seen_; }
  unsigned polls() const noexcept { return polls_; }

 private:
  MeterId meter_;
  bool open_;
  ValveOptions options_;
  bool commanded_ = false;
  bool finished_ = false;
  unsigned polls_ = 0;
  std::uint8_t ser_ = 0;
  Valve last_seen_ = Valve::unknown;
};

// Sets a meter's clock (DI A015).
class TimeSet : public link::ProcedureBase {
 public:
  TimeSet(const MeterId& meter, const mbus::TimePoint& time, unsigned retries = 3);
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;

 private:
  MeterId meter_;
  mbus::TimePoint time_;
  unsigned retries_;
  bool sent_ = false;
};

}  // namespace heatlink::protocol::cjt188
