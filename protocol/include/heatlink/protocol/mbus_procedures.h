// The master's M-Bus procedures (EN 13757-2/-3, REFERENCE.md section 2), each a
// link::Procedure: run it with a link::Exchange over any transport and clock.
#pragma once

#include <algorithm>
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
// meter below the mask - here after the witness below has answered); a lone E5 is confirmed by
// reading the selected meter at FD, whose telegram header gives the exact address; garble, or a
// garbled confirmation, is a collision and the search descends. An E5 whose meter then stays silent
// is selected once more before it counts (a late E5 of an earlier selection looks the same). Meters
// found under several masks are reported once.
//
// A silence prunes every address below its mask, and over a mobile line a silence may be an
// outage: traffic dropped, or held and delivered late. So a silence counts only once the line
// has answered after it: a witness - the first meter found, selected and read, its telegram
// alone and its own - is asked before the search goes on. Until it answers the search waits;
// once it answers, the search goes back to where the last witness answered if anything since
// says the line was not sound: the witness silent, or an answer come late (Outcome::late, a
// telegram of a meter the mask does not select, an E5 whose meter is gone when selected
// again). A line that stays dark through kWitnessTries witness attempts, or that answers late
// again and again (kMaxRewinds), fails the scan, saying so, with the meters found so far.
// Answers that come late make the scan wait longer for every answer after them (up to
// kMaxPatience times), until the line has been calm for a while.
class SecondaryScan : public link::ProcedureBase {
 public:
  static constexpr unsigned kWitnessTries = 30;
  static constexpr unsigned kMaxRewinds = 40;

  explicit SecondaryScan(const SecondaryAddress& start = {});
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;
  const std::vector<ScanHit>& hits() const noexcept { return hits_; }
  std::size_t probes() const noexcept { return search_.probes(); }
  // How often the search went back because the line had not been sound.
  unsigned rewinds() const noexcept { return rewinds_; }

  // A scan that shares its bus with scheduled reads: it stops (succeeding, paused()) before
  // the next mask once `probes` more selections were made (0: never). resume() carries on
  // with the masks still to search - after a new SND_NKE, as other reads may have selected
  // meters meanwhile - for another `probes`.
  void pause_after(std::size_t probes) noexcept {
    pause_at_ = probes == 0 ? 0 : search_.probes() + probes;
  }
  // Work waits for the bus: pause once the next mask is answered (sooner than planned).
  void pause_soon() noexcept {
    const std::size_t soon = search_.probes() + 1;
    pause_at_ = pause_at_ == 0 ? soon : std::min(pause_at_, soon);
  }
  bool paused() const noexcept { return paused_; }
  void resume(std::size_t probes);

  // A paused scan carried into another process (a master restarted in the middle of it): the
  // search's cursor (SecondarySearch::cursor) where the witness last answered, its selections
  // and the addresses found. restore() makes a new scan carry on from there, paused; false
  // when the cursor is not one.
  struct Checkpoint {
    std::string cursor;
    std::size_t probes = 0;
    std::vector<SecondaryAddress> found;
  };
  Checkpoint checkpoint() const;
  bool restore(const Checkpoint& checkpoint);

 private:
  enum class Stage : std::uint8_t { reset, select, confirm, witness, witness_read };
  static constexpr const char* kLate = "answers came late";
  static constexpr unsigned kMaxPatience = 8;
  std::optional<link::Request> ask();
  std::optional<link::Request> witness_request();
  void on_selected(const link::Outcome& outcome);
  void on_confirmed(const link::Outcome& outcome);
  void on_witness(const link::Outcome& outcome);
  void doubt(const char* why);
  std::optional<SecondaryAddress> witness() const;
  bool has_witness() const noexcept { return witness().has_value() || answered_; }
  void add_hit(ScanHit hit);

  SecondaryAddress start_;
  SecondarySearch search_;
  SecondarySearch proven_;  // the search where the witness last answered
  Stage stage_ = Stage::reset;
  std::size_t pause_at_ = 0;
  bool paused_ = false;
  bool rechecking_ = false;   // an E5 whose meter was silent: the mask is selected again
  bool second_look_ = false;  // a silent mask: selected again, after the witness
  SecondaryAddress mask_;
  std::vector<ScanHit> hits_;
  std::size_t witness_ = 0;  // which identified find is asked (the next one when it fails)
  bool answered_ = false;    // a selection was answered (before a witness: the line's proof)
  bool unproven_ = false;    // a silence since the witness last answered
  bool doubtful_ = false;    // since then, a sign that the line was not sound
  std::string why_;          // the last such sign, in words
  unsigned witness_tries_ = 0;
  unsigned rewinds_ = 0;
  unsigned patience_ = 1;     // Request::patience: doubled whenever answers come late
  unsigned calm_ = 0;         // witness answers in a row with no sign of trouble
  unsigned calm_needed_ = 8;  // ... before the patience is halved
  bool relented_ = false;     // it was halved, and no answer came late since
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
