// The master's M-Bus procedures (EN 13757-2/-3, REFERENCE.md section 2), each a
// link::Procedure: run it with a link::Exchange over any transport and clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "heatlink/protocol/link.h"
#include "heatlink/protocol/mbus_request.h"
#include "heatlink/protocol/mbus_search.h"

namespace heatlink::protocol::mbus {

// A meter as the master names it: a primary address (1-250, or 0 for an unconfigured one) or
// a secondary address that is selected first. Text: "5" or 16 hex digits "IIIIIIIIMMMMVVDD".
struct Target {
  bool by_secondary = false;
  std::uint8_t primary = 0;
  SecondaryAddress secondary;

  static Result<Target> parse(std::string_view text);
  std::string to_string() const;
  // The address the meter answers at: its primary address, or FD once selected.
  std::uint8_t link_address() const noexcept { return by_secondary ? kAddressSelected : primary; }
};

struct ReadOptions {
  unsigned retries = 3;         // per request (libmbus's practice)
  unsigned max_telegrams = 16;  // the multi-telegram loop stops here
  // Danfoss SonoMeter: an application reset with this sub-code before reading chooses the
  // data set the meter returns.
  std::optional<std::uint8_t> data_set;
};

// Reads one meter: SND_NKE (primary) or selection (secondary), the optional data-set
// selection, then REQ_UD2 with FCB toggled after each good telegram while the meter says more
// records follow. A missing or bad reply is asked again with the same FCB.
class MeterRead : public link::ProcedureBase {
 public:
  MeterRead(const Target& target, ReadOptions options = {});
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;

  // The telegrams read, whole frames as received, in order.
  const std::vector<std::vector<std::uint8_t>>& telegrams() const noexcept { return telegrams_; }
  // True when the meter still had records when max_telegrams was reached.
  bool truncated() const noexcept { return truncated_; }

 private:
  enum class Stage : std::uint8_t { address, data_set, read, done };
  Target target_;
  ReadOptions options_;
  Stage stage_ = Stage::address;
  bool fcb_ = true;
  bool truncated_ = false;
  std::vector<std::vector<std::uint8_t>> telegrams_;
};

// One meter found by a scan.
struct ScanHit {
  std::uint8_t primary = 0;            // primary scans
  SecondaryAddress secondary;          // as its telegram header gives it (or the mask)
  bool identified = false;             // `secondary` comes from a telegram header
  bool collision = false;              // several meters answered at this primary address
  std::vector<std::uint8_t> telegram;  // the first telegram, when one was read
};

// Pings every primary address in [first, last] with SND_NKE (one retry) and reads the first
// telegram of each that answers, to tell who it is.
class PrimaryScan : public link::ProcedureBase {
 public:
  explicit PrimaryScan(std::uint8_t first = 1, std::uint8_t last = 250);
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;
  const std::vector<ScanHit>& hits() const noexcept { return hits_; }

 private:
  unsigned address_;
  unsigned last_;
  bool identifying_ = false;
  std::vector<ScanHit> hits_;
};

// The wildcard search for secondary addresses under `start` (SecondarySearch): every mask is
// selected (a silent selection once more, as libmbus does: a lost or late E5 would hide every
// meter below the mask); a lone E5 is confirmed by reading the selected meter at FD, whose telegram
// header gives the exact address; garble, or a garbled confirmation, is a collision and the search
// descends. An E5 whose meter then stays silent is selected once more before it counts (a
// late E5 of an earlier selection looks the same). Meters found under several masks are
// reported once.
class SecondaryScan : public link::ProcedureBase {
 public:
  explicit SecondaryScan(const SecondaryAddress& start = {});
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;
  const std::vector<ScanHit>& hits() const noexcept { return hits_; }
  std::size_t probes() const noexcept { return search_.probes(); }

  // A scan that shares its bus with scheduled reads: it stops (succeeding, paused()) before
  // the next mask once `probes` more selections were made (0: never). resume() carries on
  // with the masks still to search - after a new SND_NKE, as other reads may have selected
  // meters meanwhile - for another `probes`.
  void pause_after(std::size_t probes) noexcept {
    pause_at_ = probes == 0 ? 0 : search_.probes() + probes;
  }
  bool paused() const noexcept { return paused_; }
  void resume(std::size_t probes);

  // A paused scan carried into another process (a master restarted in the middle of it): the
  // search's cursor (SecondarySearch::cursor), its selections and the addresses found.
  // restore() makes a new scan carry on from there, paused; false when the cursor is not one.
  struct Checkpoint {
    std::string cursor;
    std::size_t probes = 0;
    std::vector<SecondaryAddress> found;
  };
  Checkpoint checkpoint() const;
  bool restore(const Checkpoint& checkpoint);

 private:
  enum class Stage : std::uint8_t { reset, select, confirm };
  std::size_t pause_at_ = 0;
  bool paused_ = false;
  void add_hit(ScanHit hit);
  SecondarySearch search_;
  Stage stage_ = Stage::reset;
  bool rechecking_ = false;  // the mask is being selected a second time
  SecondaryAddress mask_;
  std::vector<ScanHit> hits_;
};

// Gives a meter a new primary address: checks that nobody answers at the new one, selects
// the meter if named by secondary address, sends SND_UD with the record 01 7A, and confirms
// that the meter answers at its new address.
class SetPrimaryAddress : public link::ProcedureBase {
 public:
  SetPrimaryAddress(const Target& target, std::uint8_t new_address, unsigned retries = 2);
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;

 private:
  enum class Stage : std::uint8_t { check_free, select, write, confirm, done };
  Target target_;
  std::uint8_t new_address_;
  unsigned retries_;
  Stage stage_ = Stage::check_free;
};

// Sets a meter's clock: selects it if named by secondary address, then SND_UD with 04 6D.
class SetClock : public link::ProcedureBase {
 public:
  SetClock(const Target& target, const TimePoint& time, unsigned retries = 2);
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;

 private:
  enum class Stage : std::uint8_t { select, write, done };
  Target target_;
  TimePoint time_;
  unsigned retries_;
  Stage stage_;
};

// Sends bytes as given and keeps the first frame that comes back (or none).
class RawExchange : public link::ProcedureBase {
 public:
  RawExchange(std::vector<std::uint8_t> bytes, unsigned retries = 0);
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;
  const link::Outcome& outcome() const noexcept { return outcome_; }

 private:
  std::vector<std::uint8_t> bytes_;
  unsigned retries_;
  bool sent_ = false;
  link::Outcome outcome_;
};

// The address a telegram header names, if `frame` holds a variable-data RSP_UD.
std::optional<SecondaryAddress> identity_of(Bytes frame);

}  // namespace heatlink::protocol::mbus
