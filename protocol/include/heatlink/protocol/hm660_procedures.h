// The master's side of the HM-660's concentrator-mode commands (docs/protocols/hm660.md):
// decoders for the answers and procedures that run the commands, page through lists and
// collect buffered readings.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "heatlink/protocol/hm660.h"
#include "heatlink/protocol/link.h"
#include "heatlink/protocol/mbus_telegram.h"

namespace heatlink::protocol::hm660 {

const char* error_name(std::uint8_t code) noexcept;  // the codes of an 0xAF answer

struct Info {
  std::uint8_t version = 0;
  std::uint8_t channels = 0;
  std::uint16_t archive_size = 0;
  std::uint16_t buffered_readings = 0;
  std::uint32_t cycle_interval_s = 0;
  std::uint8_t scan_state = 0;  // 0 idle, 1 running, 2 done
  mbus::TimePoint clock;
};
Result<Info> decode_info(Bytes data);

// An answer to archive read (A3) or scan read (A6).
struct EntryPage {
  std::uint16_t first = 0;
  std::uint16_t total = 0;
  std::vector<ArchiveEntry> entries;
};
Result<EntryPage> decode_page(Bytes data);

// An answer to archive compare (A4): the first `missing` entries are archived meters the last
// scan did not find, the rest meters it found that are not archived.
struct Comparison {
  std::uint16_t missing = 0;
  std::uint16_t unknown = 0;
  std::vector<ArchiveEntry> entries;
};
Result<Comparison> decode_comparison(Bytes data);

struct BufferedReading {
  std::uint16_t archive_index = 0;
  mbus::TimePoint time;
  std::vector<std::uint8_t> frame;  // the meter's reply, whole
};
// An answer to readings fetch (A8).
Result<std::vector<BufferedReading>> decode_readings(Bytes data);

// The 6-byte time of clock set (AA): EN 13757-3 type I.
std::array<std::uint8_t, 6> encode_clock(const mbus::TimePoint& time) noexcept;
mbus::TimePoint decode_clock(Bytes six) noexcept;

// One command and its answer: E5, or an RSP_UD from 0xFE with the same CI (data()). An error
// answer (CI 0xAF) is Verdict::refused naming the code.
class Command : public link::ProcedureBase {
 public:
  Command(std::uint8_t ci, std::vector<std::uint8_t> data = {}, unsigned retries = 2);
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;
  const std::vector<std::uint8_t>& data() const noexcept { return data_; }

 private:
  std::uint8_t ci_;
  std::vector<std::uint8_t> request_data_;
  unsigned retries_;
  bool sent_ = false;
  std::vector<std::uint8_t> data_;
};

// Reads a whole list page by page: the archive (A3) or the last scan's finds (A6).
class EntryListRead : public link::ProcedureBase {
 public:
  explicit EntryListRead(std::uint8_t ci, unsigned retries = 2);
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;
  const std::vector<ArchiveEntry>& entries() const noexcept { return entries_; }

 private:
  std::uint8_t ci_;
  unsigned retries_;
  bool finished_ = false;
  std::vector<ArchiveEntry> entries_;
};

// Writes a list of meters into the concentrator's archive (commissioning): archive clear (A1),
// then archive add (A2), kEntriesPerAdd entries a frame. An add is not idempotent, so one
// whose acknowledgement is lost is not simply sent again: the archive's size (info, A0) says
// whether it took. Like a scan it shares the bus with scheduled reads: it stops (succeeding,
// paused()) after a number of frames, and resume() carries on - after a pause, or after the
// line was lost under it - as does a write begun with some entries already written (a master
// restarted in the middle of it), once the archive's size confirms that nobody else changed
// it; otherwise it starts over.
class ArchiveWrite : public link::ProcedureBase {
 public:
  explicit ArchiveWrite(std::vector<ArchiveEntry> entries, std::size_t written = 0,
                        unsigned retries = 2);
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;

  const std::vector<ArchiveEntry>& entries() const noexcept { return entries_; }
  std::size_t written() const noexcept { return written_; }
  unsigned restarts() const noexcept { return restarts_; }  // archives found changed: cleared
  void pause_after(std::size_t frames) noexcept { frames_left_ = frames; }
  // Work waits for the bus: pause once the frame on its way is acknowledged.
  void pause_soon() noexcept { frames_left_ = 1; }
  bool paused() const noexcept { return paused_; }
  void resume(std::size_t frames);

 private:
  enum class Stage : std::uint8_t { check, clear, add, done };
  std::size_t frame_size() const noexcept;
  void start_over(const link::Request& request, std::size_t found);

  std::vector<ArchiveEntry> entries_;
  std::size_t written_;
  unsigned retries_;
  Stage stage_;
  std::size_t unsure_ = 0;  // entries of an add whose acknowledgement was lost
  unsigned failures_ = 0;   // in a row
  unsigned restarts_ = 0;
  std::size_t frames_left_ = 0;  // 0: no pause
  bool paused_ = false;
};

// Empties the reading buffer: fetch (A8) a batch, acknowledge (A9) it, until a fetch brings
// none. A batch whose acknowledgement is lost is fetched again: the caller stores readings
// idempotently.
class ReadingsCollect : public link::ProcedureBase {
 public:
  explicit ReadingsCollect(std::uint8_t batch = 32, unsigned retries = 2);
  std::optional<link::Request> next() override;
  void on_outcome(const link::Request& request, const link::Outcome& outcome) override;
  const std::vector<BufferedReading>& readings() const noexcept { return readings_; }

 private:
  std::uint8_t batch_;
  unsigned retries_;
  std::uint8_t to_acknowledge_ = 0;
  bool finished_ = false;
  std::vector<BufferedReading> readings_;
};

}  // namespace heatlink::protocol::hm660
