#include "heatlink/protocol/hm660_procedures.h"

#include <algorithm>
#include <string>

namespace heatlink::protocol::hm660 {

namespace {

std::uint16_t get16(Bytes d, std::size_t at) {
  return static_cast<std::uint16_t>(d[at] | d[at + 1] << 8);
}

Error malformed(const char* field, std::size_t offset) {
  Error e;
  e.code = Errc::truncated;
  e.offset = offset;
  e.field = field;
  e.detail = "the answer ends early";
  return e;
}

Result<std::vector<ArchiveEntry>> entries_at(Bytes d, std::size_t at, std::size_t count) {
  if (d.size() < at + count * kEntrySize) return malformed("entries", d.size());
  std::vector<ArchiveEntry> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    out.push_back(decode_entry(d.subspan(at + i * kEntrySize, kEntrySize)));
  return out;
}

link::Request command_request(std::uint8_t ci, Bytes data, unsigned retries) {
  link::Request r;
  r.bytes = command(ci, data).to_vector();
  r.expect = link::Expect::ack_or_reply;
  r.mbus_address = kAddress;
  r.retries = retries;
  static constexpr char kHex[] = "0123456789ABCDEF";
  r.what = std::string("HM-660 command 0x") + kHex[ci >> 4] + kHex[ci & 0xF];
  return r;
}

// What an answer says: its data (an ack: none), or why it is not an answer to `ci`.
struct Answer {
  std::vector<std::uint8_t> data;
  link::Verdict failure = link::Verdict::ok;
  std::string problem;
};

Answer read_answer(std::uint8_t ci, const link::Request& request, const link::Outcome& outcome) {
  Answer a;
  const auto frame = mbus::decode_frame(outcome.frame);
  if (!frame) {
    a.failure = link::Verdict::garbled;
    a.problem = request.what + ": " + frame.error().message();
  } else if (frame->type == mbus::FrameType::ack) {
    return a;
  } else if (frame->ci == kError) {
    const std::uint8_t code = frame->data.empty() ? 0 : frame->data[0];
    a.failure = link::Verdict::refused;
    a.problem = request.what + ": the concentrator answers error " + std::to_string(code) + " (" +
                error_name(code) + ")";
  } else if (frame->ci != ci) {
    a.failure = link::Verdict::refused;
    a.problem = request.what + ": an answer to another command";
  } else {
    a.data.assign(frame->data.begin(), frame->data.end());
  }
  return a;
}

}  // namespace

const char* error_name(std::uint8_t code) noexcept {
  switch (code) {
    case 1:
      return "unknown command";
    case 2:
      return "malformed data";
    case 3:
      return "archive full";
    case 4:
      return "channel out of range";
    case 5:
      return "busy: a scan is running";
    default:
      return "undocumented error";
  }
}

std::array<std::uint8_t, 6> encode_clock(const mbus::TimePoint& t) noexcept {
  const unsigned year = t.year >= 2000 ? t.year - 2000u : 0u;
  return {static_cast<std::uint8_t>(t.second & 0x3F),
          static_cast<std::uint8_t>(t.minute & 0x3F),
          static_cast<std::uint8_t>(t.hour & 0x1F),
          static_cast<std::uint8_t>((t.day & 0x1F) | (year & 0x07) << 5),
          static_cast<std::uint8_t>((t.month & 0x0F) | (year & 0x78) << 1),
          0};
}

mbus::TimePoint decode_clock(Bytes d) noexcept {
  mbus::TimePoint t;
  t.type = 'I';
  t.second = d[0] & 0x3F;
  t.minute = d[1] & 0x3F;
  t.hour = d[2] & 0x1F;
  t.day = d[3] & 0x1F;
  t.month = d[4] & 0x0F;
  t.year = static_cast<std::uint16_t>(2000 + (((d[3] & 0xE0) >> 5) | ((d[4] & 0xF0) >> 1)));
  return t;
}

Result<Info> decode_info(Bytes d) {
  if (d.size() < 17) return malformed("info", d.size());
  Info info;
  info.version = d[0];
  info.channels = d[1];
  info.archive_size = get16(d, 2);
  info.buffered_readings = get16(d, 4);
  info.cycle_interval_s = std::uint32_t{d[6]} | std::uint32_t{d[7]} << 8 |
                          std::uint32_t{d[8]} << 16 | std::uint32_t{d[9]} << 24;
  info.scan_state = d[10];
  info.clock = decode_clock(d.subspan(11, 6));
  return info;
}

Result<EntryPage> decode_page(Bytes d) {
  if (d.size() < 5) return malformed("page header", d.size());
  EntryPage page;
  page.first = get16(d, 0);
  page.total = get16(d, 2);
  auto entries = entries_at(d, 5, d[4]);
  if (!entries) return entries.error();
  page.entries = std::move(*entries);
  return page;
}

Result<Comparison> decode_comparison(Bytes d) {
  if (d.size() < 4) return malformed("comparison header", d.size());
  Comparison c;
  c.missing = get16(d, 0);
  c.unknown = get16(d, 2);
  auto entries = entries_at(d, 4, (d.size() - 4) / kEntrySize);
  if (!entries) return entries.error();
  c.entries = std::move(*entries);
  return c;
}

Result<std::vector<BufferedReading>> decode_readings(Bytes d) {
  if (d.empty()) return malformed("reading count", 0);
  std::vector<BufferedReading> out;
  std::size_t at = 1;
  for (unsigned i = 0; i < d[0]; ++i) {
    if (d.size() < at + 9) return malformed("reading header", d.size());
    BufferedReading r;
    r.archive_index = get16(d, at);
    r.time = decode_clock(d.subspan(at + 2, 6));
    const std::size_t length = d[at + 8];
    at += 9;
    if (d.size() < at + length) return malformed("reading frame", d.size());
    r.frame.assign(d.begin() + static_cast<std::ptrdiff_t>(at),
                   d.begin() + static_cast<std::ptrdiff_t>(at + length));
    at += length;
    out.push_back(std::move(r));
  }
  return out;
}

// ---- Command

Command::Command(std::uint8_t ci, std::vector<std::uint8_t> data, unsigned retries)
    : ci_(ci), request_data_(std::move(data)), retries_(retries) {}

std::optional<link::Request> Command::next() {
  if (sent_) return std::nullopt;
  sent_ = true;
  return command_request(ci_, request_data_, retries_);
}

void Command::on_outcome(const link::Request& request, const link::Outcome& outcome) {
  if (outcome.kind != link::OutcomeKind::answered) return fail_on(request, outcome);
  Answer answer = read_answer(ci_, request, outcome);
  if (answer.failure != link::Verdict::ok) return fail(answer.failure, answer.problem);
  data_ = std::move(answer.data);
  succeed();
}

// ---- EntryListRead

EntryListRead::EntryListRead(std::uint8_t ci, unsigned retries) : ci_(ci), retries_(retries) {}

std::optional<link::Request> EntryListRead::next() {
  if (finished_) return std::nullopt;
  const auto first = static_cast<std::uint16_t>(entries_.size());
  const std::uint8_t data[2] = {static_cast<std::uint8_t>(first),
                                static_cast<std::uint8_t>(first >> 8)};
  return command_request(ci_, data, retries_);
}

void EntryListRead::on_outcome(const link::Request& request, const link::Outcome& outcome) {
  finished_ = true;
  if (outcome.kind != link::OutcomeKind::answered) return fail_on(request, outcome);
  const Answer answer = read_answer(ci_, request, outcome);
  if (answer.failure != link::Verdict::ok) return fail(answer.failure, answer.problem);
  auto page = decode_page(answer.data);
  if (!page) return fail(link::Verdict::garbled, request.what + ": " + page.error().message());
  entries_.insert(entries_.end(), page->entries.begin(), page->entries.end());
  if (page->entries.empty() || entries_.size() >= page->total) return succeed();
  finished_ = false;
}

// ---- ArchiveWrite

ArchiveWrite::ArchiveWrite(std::vector<ArchiveEntry> entries, std::size_t written, unsigned retries)
    : entries_(std::move(entries)),
      written_(std::min(written, entries_.size())),
      retries_(retries),
      stage_(written_ > 0 ? Stage::check : Stage::clear) {}

std::size_t ArchiveWrite::frame_size() const noexcept {
  return std::min(kEntriesPerAdd, entries_.size() - written_);
}

std::optional<link::Request> ArchiveWrite::next() {
  if (paused_ || finished()) return std::nullopt;
  switch (stage_) {
    case Stage::check:
      return command_request(kInfo, {}, retries_);
    case Stage::clear:
      return command_request(kArchiveClear, {}, retries_);
    case Stage::add: {
      std::vector<std::uint8_t> data;
      for (std::size_t i = written_; i < written_ + frame_size(); ++i)
        encode_entry(entries_[i], data);
      // Sent once: whether a silent add took, the archive's size tells (Stage::check).
      return command_request(kArchiveAdd, data, 0);
    }
    case Stage::done:
      break;
  }
  return std::nullopt;
}

void ArchiveWrite::start_over(const link::Request& request, std::size_t found) {
  if (restarts_ >= retries_) {
    return fail(link::Verdict::refused, request.what + ": the archive holds " +
                                            std::to_string(found) + " entries, not the " +
                                            std::to_string(written_ + unsure_) +
                                            " written; something else is changing it");
  }
  ++restarts_;
  written_ = 0;
  unsure_ = 0;
  stage_ = Stage::clear;
}

void ArchiveWrite::on_outcome(const link::Request& request, const link::Outcome& outcome) {
  const std::uint8_t ci = stage_ == Stage::check   ? kInfo
                          : stage_ == Stage::clear ? kArchiveClear
                                                   : kArchiveAdd;
  if (outcome.kind != link::OutcomeKind::answered) {
    if (stage_ != Stage::add || ++failures_ > retries_) return fail_on(request, outcome);
    unsure_ = frame_size();  // did it take? The archive's size will say.
    stage_ = Stage::check;
    return;
  }
  const Answer answer = read_answer(ci, request, outcome);
  if (answer.failure != link::Verdict::ok) return fail(answer.failure, answer.problem);
  switch (stage_) {
    case Stage::check: {
      auto info = decode_info(answer.data);
      if (!info) return fail(link::Verdict::garbled, request.what + ": " + info.error().message());
      if (info->archive_size == written_ + unsure_) {
        written_ += unsure_;
      } else if (info->archive_size != written_) {
        return start_over(request, info->archive_size);
      }
      unsure_ = 0;
      stage_ = Stage::add;
      break;
    }
    case Stage::clear:
      stage_ = Stage::add;
      break;
    case Stage::add:
      failures_ = 0;
      written_ += frame_size();
      if (frames_left_ > 0 && --frames_left_ == 0 && written_ < entries_.size()) {
        paused_ = true;  // resume() looks at the archive's size before it carries on
        stage_ = Stage::check;
        return succeed();
      }
      break;
    case Stage::done:
      return;
  }
  if (stage_ == Stage::add && written_ >= entries_.size()) {
    stage_ = Stage::done;
    succeed();
  }
}

void ArchiveWrite::resume(std::size_t frames) {
  if (stage_ == Stage::done) return;
  // Paused, or stopped by a lost line - perhaps with an add on its way: the archive's size
  // says where to carry on.
  if (stage_ == Stage::add) {
    unsure_ = frame_size();
    stage_ = Stage::check;
  }
  paused_ = false;
  failures_ = 0;
  rerun();
  pause_after(frames);
}

// ---- ReadingsCollect

ReadingsCollect::ReadingsCollect(std::uint8_t batch, unsigned retries)
    : batch_(batch), retries_(retries) {}

std::optional<link::Request> ReadingsCollect::next() {
  if (finished_) return std::nullopt;
  if (to_acknowledge_ > 0) {
    const std::uint8_t count[1] = {to_acknowledge_};
    return command_request(kReadingsAcknowledge, count, retries_);
  }
  const std::uint8_t count[1] = {batch_};
  return command_request(kReadingsFetch, count, retries_);
}

void ReadingsCollect::on_outcome(const link::Request& request, const link::Outcome& outcome) {
  finished_ = true;
  if (outcome.kind != link::OutcomeKind::answered) return fail_on(request, outcome);
  const bool acknowledging = to_acknowledge_ > 0;
  const Answer answer =
      read_answer(acknowledging ? kReadingsAcknowledge : kReadingsFetch, request, outcome);
  if (answer.failure != link::Verdict::ok) return fail(answer.failure, answer.problem);
  if (acknowledging) {
    to_acknowledge_ = 0;
    finished_ = false;
    return;
  }
  auto batch = decode_readings(answer.data);
  if (!batch) return fail(link::Verdict::garbled, request.what + ": " + batch.error().message());
  if (batch->empty()) return succeed();
  to_acknowledge_ = static_cast<std::uint8_t>(batch->size());
  readings_.insert(readings_.end(), batch->begin(), batch->end());
  finished_ = false;
}

}  // namespace heatlink::protocol::hm660
