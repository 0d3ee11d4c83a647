// The master's side of a link to the bus, sans-I/O: a Procedure decides which request to send
// next and what an answer means; an Exchange turns requests into bytes and deadlines, and the
// bytes and times that come back into outcomes - echo removal, framing across any chunking,
// response timeouts, retries with the same bytes (and so the same FCB).
//
// The caller owns every clock and socket (DESIGN.md rules 1 and 2): it writes Step::send,
// feeds what it receives to on_bytes() with the current time, and calls on_deadline() when
// the time reaches Step::deadline. Not thread-safe; one Exchange per link at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "heatlink/protocol/bytes.h"
#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/frame_stream.h"

namespace heatlink::protocol::link {

using Micros = std::int64_t;  // microseconds, on the caller's clock

// How long the path from the master to the meters takes (REFERENCE.md sections 1 and 2).
struct Timing {
  unsigned baud = 2400;
  // What the path adds to a round trip beyond the wire: a USB converter tens of
  // milliseconds, a serial-to-TCP converter a few hundred, a GPRS DTU seconds.
  Micros latency = 90'000;
  // A fixed response timeout instead of the computed one (0: computed).
  Micros fixed_timeout = 0;
  // A concentrator between master and bus that forwards a reply only once it has all of it:
  // the answer can begin no earlier than the longest frame's wire time at `baud`.
  bool store_and_forward = false;
  // What EN 13757-2 allows a slave beyond its 330 bit times before it answers.
  Micros slave_slack = 50'000;

  static Timing serial(unsigned baud) { return {baud, 90'000, 0, false}; }
  static Timing tcp_converter(unsigned baud) { return {baud, 400'000, 0, false}; }
  static Timing gprs(unsigned baud) { return {baud, 5'000'000, 0, true}; }

  // 11 bits per character (8E1).
  Micros wire_time(std::size_t bytes) const noexcept;
  // From the start of sending a request of `request_bytes` until its answer must have begun:
  // the request's wire time, the slave's window (330 bit times + 50 ms) and the latency.
  // 2400 Bd on a local port: 0.3 s, as libmbus waits.
  Micros response_timeout(std::size_t request_bytes) const noexcept;
  // How long the rest of a started frame may take: its wire time, an idle gap and the
  // latency (a DTU may split a frame into two packets).
  Micros completion_time(std::size_t missing_bytes) const noexcept;
};

// What counts as the answer to a request.
enum class Expect : std::uint8_t {
  ack,           // E5
  mbus_reply,    // an M-Bus long frame from the slave (RSP_UD)
  ack_or_reply,  // either (REQ_UD1, the HM-660's commands)
  cjt188_reply,  // a CJ/T 188 reply (the direction bit set) from the addressed meter
  any_frame,     // whatever frame comes first (raw requests)
  nothing,       // no answer is due (broadcasts to FF): done after the wire time
};

struct Request {
  std::vector<std::uint8_t> bytes;
  Expect expect = Expect::mbus_reply;
  std::uint8_t mbus_address = 0xFE;  // mbus_reply: who must answer (0xFD, 0xFE: anybody)
  cjt188::Address cjt188_address = cjt188::Address::wildcard();  // wildcard: anybody
  unsigned retries = 0;       // repeats of the same bytes after silence or garble
  bool retry_garbled = true;  // false: garble is an answer too (a collision while searching)
  Micros delay = 0;           // wait this long before sending (a valve moving)
  bool linger = false;        // wait out the timeout even once answered: several slaves answer
  unsigned patience = 1;      // times the computed response timeout (a line found to be slow)
  std::string what;           // for progress reports: "REQ_UD2 to 5"
  // When set, a frame that matches `expect` is the answer only if this also holds (a
  // telegram from the meter that was selected, not a late one from the meter before).
  std::function<bool(const AnyScanResult& frame)> accept;
};

enum class OutcomeKind : std::uint8_t {
  answered,  // the expected frame came (Outcome::frame)
  silent,    // nothing came before the deadline (for Expect::nothing: success)
  garbled,   // bytes came, but not the expected frame: a collision, noise, a wrong answer
};
const char* outcome_name(OutcomeKind kind) noexcept;

struct Outcome {
  OutcomeKind kind = OutcomeKind::silent;
  std::vector<std::uint8_t> frame;     // answered: the frame as received
  Protocol protocol = Protocol::any;   // answered: which protocol framed it
  bool noise = false;                  // answered: other bytes came too (a collision, noise)
  std::vector<std::uint8_t> received;  // everything received for the last attempt, echo removed
  unsigned attempts = 0;
  std::string detail;  // garbled: what was wrong with the bytes
  // Since the outcome before, bytes came that answered an earlier request: outside any wait,
  // or a frame `accept` refused (a telegram from the meter selected before). A lone E5 in a
  // reply's wait is not counted: several slaves' E5s to one selection come a little apart.
  // The line answers late - held in an outage, slowed by a stall - so a silence before this
  // may have been an answer still on its way.
  bool late = false;
};

// One master task on the bus: a primary read, a scan, a valve command... next() gives each
// request; on_outcome() is told what the last one brought. A procedure never sees bytes
// arrive or time pass; it can be tested with scripted outcomes.
class Procedure {
 public:
  virtual ~Procedure() = default;
  // The next request, or nothing when the procedure has finished.
  virtual std::optional<Request> next() = 0;
  virtual void on_outcome(const Request& request, const Outcome& outcome) = 0;
};

// How a procedure ended.
enum class Verdict : std::uint8_t {
  running,
  ok,
  no_answer,  // a device stayed silent through every retry
  garbled,    // answers came, but not readable ones (collisions, noise, bad frames)
  refused,    // a device answered with an error, or the answer contradicts the request
};
const char* verdict_name(Verdict verdict) noexcept;

// What every procedure keeps: its verdict and, when it failed, why, in words for people.
class ProcedureBase : public Procedure {
 public:
  Verdict verdict() const noexcept { return verdict_; }
  const std::string& problem() const noexcept { return problem_; }

 protected:
  void succeed() { verdict_ = Verdict::ok; }
  void fail(Verdict verdict, std::string problem) {
    verdict_ = verdict;
    problem_ = std::move(problem);
  }
  // Fails with the verdict an unwanted outcome implies: "<what>: no answer after 4 attempts".
  void fail_on(const Request& request, const Outcome& outcome);
  bool finished() const noexcept { return verdict_ != Verdict::running; }
  // Running again: a procedure that stopped part-way on purpose and carries on (a paused scan).
  void rerun() {
    verdict_ = Verdict::running;
    problem_.clear();
  }

 private:
  Verdict verdict_ = Verdict::running;
  std::string problem_;
};

class Exchange {
 public:
  struct Step {
    std::vector<std::uint8_t> send;  // write these now (may be empty)
    Micros deadline = 0;             // call on_deadline() at this time (unless done)
    bool done = false;               // the procedure has finished
  };
  // Called after each outcome, before the procedure sees it: progress reports.
  using Observer = std::function<void(const Request&, const Outcome&)>;

  // `procedure` must outlive the Exchange.
  Exchange(Procedure& procedure, Timing timing, Observer observer = {});

  Step start(Micros now);
  Step on_bytes(Bytes bytes, Micros now);
  Step on_deadline(Micros now);
  bool done() const noexcept { return phase_ == Phase::done; }
  const Timing& timing() const noexcept { return timing_; }

 private:
  enum class Phase : std::uint8_t { pausing, waiting, done };

  Step send_current(Micros now);
  Step advance(Micros now);
  Step finish_attempt(OutcomeKind kind, Micros now);
  void drain(Micros now);
  bool matches(const AnyScanResult& frame) const;
  Step current_step() const;

  Procedure& procedure_;
  Timing timing_;
  Observer observer_;
  Phase phase_ = Phase::done;
  Request request_;
  unsigned attempt_ = 0;
  std::size_t echo_matched_ = 0;  // request bytes seen echoed back so far
  bool echo_over_ = false;
  FrameStream stream_;
  Outcome outcome_;
  bool answered_ = false;
  bool late_ = false;  // Outcome::late, for the next outcome
  Micros deadline_ = 0;
};

}  // namespace heatlink::protocol::link
