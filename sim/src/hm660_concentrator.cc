// The HM-660's concentrator mode (docs/protocols/hm660.md): commands from RS-232, the meter
// archive, the autonomous read cycle, buffered readings, and the channel scan.
#include <algorithm>

#include "heatlink/protocol/cjt188.h"
#include "heatlink/protocol/mbus_telegram.h"
#include "heatlink/sim/hm660.h"
#include "heatlink/sim/wire.h"

namespace heatlink::sim {

namespace mbus = protocol::mbus;
namespace cjt188 = protocol::cjt188;

namespace {

constexpr std::uint8_t kCiFirst = 0xA0;
constexpr std::uint8_t kCiLast = 0xAF;
constexpr std::size_t kMaxArchive = 4000;
constexpr std::size_t kMaxReadings = 10000;
constexpr std::uint8_t kVersion = 1;

enum : std::uint8_t {
  kErrUnknown = 1,
  kErrMalformed = 2,
  kErrFull = 3,
  kErrChannel = 4,
  kErrBusy = 5
};

void put16(std::vector<std::uint8_t>& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}

}  // namespace

std::vector<std::uint8_t> Hm660::time_bytes(Micros t) const {
  const CivilTime c = calendar_ != nullptr ? calendar_->at(t + clock_offset_) : CivilTime{};
  const int y = c.year % 100;
  return {static_cast<std::uint8_t>(c.second),
          static_cast<std::uint8_t>(c.minute),
          static_cast<std::uint8_t>(c.hour),
          static_cast<std::uint8_t>((y & 0x07) << 5 | c.day),
          static_cast<std::uint8_t>((y & 0x78) << 1 | c.month),
          0};
}

void Hm660::answer(std::uint8_t ci, const std::vector<std::uint8_t>& data) {
  const auto frame = mbus::encode_long(mbus::kRspUd, protocol::hm660::kAddress, ci, data);
  if (frame.ok()) send_rs232(frame->to_vector());
}

void Hm660::answer_error(std::uint8_t code) {
  answer(protocol::hm660::kError, {code});
}

bool Hm660::command(const mbus::Frame& f) {
  if (f.type != mbus::FrameType::long_frame && f.type != mbus::FrameType::control) return false;
  if (f.a != protocol::hm660::kAddress || f.ci < kCiFirst || f.ci > kCiLast ||
      (f.c & 0x0F) != (mbus::kSndUd & 0x0F)) {
    return false;
  }
  const protocol::Bytes d = f.data;
  auto ack = [this] { send_rs232({mbus::kAck}); };
  auto list = [this](std::uint8_t ci, const std::vector<ArchiveEntry>& entries,
                     protocol::Bytes request) {
    if (request.size() < 2) return answer_error(kErrMalformed);
    const std::size_t first = static_cast<std::size_t>(request[0] | request[1] << 8);
    std::vector<std::uint8_t> out;
    put16(out, first);
    put16(out, entries.size());
    const std::size_t count =
        first < entries.size() ? std::min(protocol::hm660::kEntriesPerFrame, entries.size() - first)
                               : 0;
    out.push_back(static_cast<std::uint8_t>(count));
    for (std::size_t i = 0; i < count; ++i) protocol::hm660::encode_entry(entries[first + i], out);
    answer(ci, out);
  };
  switch (f.ci) {
    case 0xA0: {  // info
      std::vector<std::uint8_t> out = {kVersion, static_cast<std::uint8_t>(channels_.size())};
      put16(out, archive_.size());
      put16(out, readings_.size());
      const auto seconds_interval = static_cast<std::uint32_t>(cycle_interval_ / 1'000'000);
      for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<std::uint8_t>(seconds_interval >> (8 * i)));
      out.push_back(scan_running_ > 0 ? 1 : scan_done_ ? 2 : 0);
      const auto t = time_bytes(queue_.now());
      out.insert(out.end(), t.begin(), t.end());
      answer(f.ci, out);
      break;
    }
    case 0xA1:
      archive_.clear();
      ack();
      break;
    case 0xA2: {  // archive add
      if (d.size() % protocol::hm660::kEntrySize != 0 ||
          d.size() / protocol::hm660::kEntrySize > 15)
        return answer_error(kErrMalformed), true;
      if (archive_.size() + d.size() / protocol::hm660::kEntrySize > kMaxArchive)
        return answer_error(kErrFull), true;
      for (std::size_t i = 0; i < d.size(); i += protocol::hm660::kEntrySize) {
        const ArchiveEntry e =
            protocol::hm660::decode_entry(d.subspan(i, protocol::hm660::kEntrySize));
        if (e.channel >= channels_.size()) return answer_error(kErrChannel), true;
        if (e.protocol > ArchiveEntry::cjt188) return answer_error(kErrMalformed), true;
      }
      for (std::size_t i = 0; i < d.size(); i += protocol::hm660::kEntrySize)
        archive_.push_back(
            protocol::hm660::decode_entry(d.subspan(i, protocol::hm660::kEntrySize)));
      ack();
      break;
    }
    case 0xA3:
      list(f.ci, archive_, d);
      break;
    case 0xA4: {  // compare with the last scan
      std::vector<ArchiveEntry> differences;
      for (const ArchiveEntry& a : archive_) {
        if (std::none_of(scan_found_.begin(), scan_found_.end(),
                         [&](const ArchiveEntry& s) { return s.same_meter(a); })) {
          differences.push_back(a);
          differences.back().flags = 0x00;  // missing
        }
      }
      const std::size_t missing = differences.size();
      for (const ArchiveEntry& s : scan_found_) {
        if (std::none_of(archive_.begin(), archive_.end(),
                         [&](const ArchiveEntry& a) { return a.same_meter(s); })) {
          differences.push_back(s);
          differences.back().flags = 0x80;  // found, not archived
        }
      }
      std::vector<std::uint8_t> out;
      put16(out, missing);
      put16(out, differences.size() - missing);
      for (std::size_t i = 0; i < std::min(protocol::hm660::kEntriesPerFrame, differences.size());
           ++i)
        protocol::hm660::encode_entry(differences[i], out);
      answer(f.ci, out);
      break;
    }
    case 0xA5:  // scan start
      if (d.size() != 1) return answer_error(kErrMalformed), true;
      if (scan_running_ > 0) return answer_error(kErrBusy), true;
      ack();
      start_scan(d[0]);
      break;
    case 0xA6:
      list(f.ci, scan_found_, d);
      break;
    case 0xA7: {  // cycle set
      if (d.size() != 4) return answer_error(kErrMalformed), true;
      const std::uint32_t s = std::uint32_t{d[0]} | std::uint32_t{d[1]} << 8 |
                              std::uint32_t{d[2]} << 16 | std::uint32_t{d[3]} << 24;
      cycle_interval_ = seconds(s);
      ++cycle_generation_;
      ack();
      if (cycle_interval_ > 0) {
        queue_.schedule_after(cycle_interval_, [this, g = cycle_generation_] {
          if (g == cycle_generation_) read_cycle();
        });
      }
      break;
    }
    case 0xA8: {  // readings fetch
      if (d.size() != 1) return answer_error(kErrMalformed), true;
      std::vector<std::uint8_t> out = {0};
      std::size_t count = 0;
      for (const BufferedReading& r : readings_) {
        const std::size_t size = 2 + 6 + 1 + r.frame.size();
        if (count == d[0] || out.size() + size > mbus::kMaxUserData) break;
        put16(out, r.archive_index);
        const auto t = time_bytes(r.time);
        out.insert(out.end(), t.begin(), t.end());
        out.push_back(static_cast<std::uint8_t>(r.frame.size()));
        out.insert(out.end(), r.frame.begin(), r.frame.end());
        ++count;
      }
      out[0] = static_cast<std::uint8_t>(count);
      answer(f.ci, out);
      break;
    }
    case 0xA9:  // readings acknowledge
      if (d.size() != 1) return answer_error(kErrMalformed), true;
      readings_.erase(readings_.begin(),
                      readings_.begin() + static_cast<std::ptrdiff_t>(
                                              std::min<std::size_t>(d[0], readings_.size())));
      ack();
      break;
    case 0xAA: {  // clock set
      if (d.size() != 6 || calendar_ == nullptr) return answer_error(kErrMalformed), true;
      const int year = 2000 + (((d[3] & 0xE0) >> 5) | ((d[4] & 0xF0) >> 1));
      const CivilTime c{year, d[4] & 0x0F, d[3] & 0x1F, d[2] & 0x1F, d[1] & 0x3F, d[0] & 0x3F};
      clock_offset_ = calendar_->time_of(c) - queue_.now();
      ack();
      break;
    }
    default:
      answer_error(kErrUnknown);
      break;
  }
  return true;
}

void Hm660::enqueue(std::size_t channel, Step step) {
  work_.at(channel).steps.push_back(std::move(step));
  run_channel(channel);
}

void Hm660::run_channel(std::size_t channel) {
  ChannelWork& work = work_.at(channel);
  if (work.busy || work.steps.empty()) return;
  work.busy = true;
  work.received.clear();
  const Step& step = work.steps.front();
  const unsigned baud = channels_[channel].baud();
  // A selection's answer is an E5 within the EN 13757-2 window; a read's may be long.
  const Micros window = step.collect ? wire_time(step.request.size() + 1, baud) +
                                           330 * 1'000'000 / baud + milliseconds(100)
                                     : config_.reply_timeout;
  channels_[channel].transmit(step.request);
  queue_.schedule_after(window, [this, channel, g = ++work.generation] {
    ChannelWork& w = work_.at(channel);
    if (!w.busy || w.generation != g) return;
    finish_step(channel, nullptr, w.received);
  });
}

void Hm660::finish_step(std::size_t channel, const protocol::AnyScanResult* reply,
                        protocol::Bytes raw) {
  ChannelWork& work = work_.at(channel);
  Step step = std::move(work.steps.front());
  work.steps.pop_front();
  work.busy = false;
  ++work.generation;
  const std::vector<std::uint8_t> heard(raw.begin(), raw.end());
  step.done(reply, heard);
  run_channel(channel);
}

void Hm660::read_cycle() {
  if (powered_) {
    for (std::size_t i = 0; i < archive_.size(); ++i) read_meter(static_cast<std::uint16_t>(i));
  }
  queue_.schedule_after(cycle_interval_, [this, g = cycle_generation_] {
    if (g == cycle_generation_) read_cycle();
  });
}

void Hm660::read_meter(std::uint16_t index) {
  const ArchiveEntry e = archive_[index];
  auto store = [this, index](const protocol::AnyScanResult* reply, protocol::Bytes) {
    if (index >= archive_.size()) return;
    archive_[index].flags = reply != nullptr ? 0x01 : 0x00;
    if (reply == nullptr || reply->bytes.empty()) return;
    if (readings_.size() == kMaxReadings) readings_.pop_front();
    readings_.push_back(
        BufferedReading{index, queue_.now(), {reply->bytes.begin(), reply->bytes.end()}});
  };
  switch (e.protocol) {
    case ArchiveEntry::mbus_primary:
      enqueue(e.channel, Step{mbus::req_ud2(e.primary, true).to_vector(), store});
      break;
    case ArchiveEntry::mbus_secondary:
      enqueue(e.channel, Step{mbus::select_secondary(e.secondary).to_vector(),
                              [](const auto*, protocol::Bytes) {}, true});
      enqueue(e.channel, Step{mbus::req_ud2(mbus::kAddressSelected, true).to_vector(), store});
      break;
    default:
      enqueue(e.channel,
              Step{cjt188::read_data(e.secondary.medium, protocol::hm660::cjt188_address(e),
                                     cjt188::kDiCurrentData, 0)
                       .to_vector(),
                   store});
      break;
  }
}

void Hm660::scan_found(const ArchiveEntry& entry) {
  for (ArchiveEntry& f : scan_found_) {
    if (f.channel == entry.channel && f.secondary == entry.secondary) {
      if (entry.protocol == ArchiveEntry::mbus_primary)
        f = entry;  // a primary address is the quicker way
      return;
    }
  }
  scan_found_.push_back(entry);
}

void Hm660::scan_channel_done() {
  if (--scan_running_ == 0) scan_done_ = true;
}

void Hm660::start_scan(std::uint8_t channel_mask) {
  scan_found_.clear();
  scan_done_ = false;
  for (std::size_t c = 0; c < channels_.size() && c < 8; ++c) {
    if ((channel_mask >> c & 1) == 0) continue;
    ++scan_running_;
    const auto channel = static_cast<std::uint8_t>(c);
    // Primary addresses 1-250.
    for (int a = 1; a <= 250; ++a) {
      enqueue(c, Step{mbus::req_ud2(static_cast<std::uint8_t>(a), true).to_vector(),
                      [this, channel](const protocol::AnyScanResult* reply, protocol::Bytes) {
                        mbus::Telegram t;
                        if (reply == nullptr || reply->protocol != protocol::Protocol::mbus ||
                            !mbus::decode_telegram(reply->mbus, t) || !t.has_identity) {
                          return;
                        }
                        scan_found(ArchiveEntry{
                            channel, ArchiveEntry::mbus_primary, reply->mbus.a,
                            mbus::SecondaryAddress{t.id, t.manufacturer, t.version, t.medium}, 0});
                      }});
    }
    // CJ/T 188: who answers the wildcard address.
    enqueue(c, Step{cjt188::read_address(cjt188::kHeatHeating, 0).to_vector(),
                    [this, channel](const protocol::AnyScanResult* reply, protocol::Bytes) {
                      if (reply != nullptr && reply->protocol == protocol::Protocol::cjt188) {
                        scan_found(protocol::hm660::cjt188_entry(channel, reply->cjt188.address,
                                                                 reply->cjt188.meter_type));
                      }
                    }});
    // Then the secondary search, which also finds meters without a primary address.
    secondary_step(c, std::make_shared<mbus::SecondarySearch>());
  }
}

void Hm660::secondary_step(std::size_t channel, std::shared_ptr<mbus::SecondarySearch> search) {
  const auto mask = search->next();
  if (!mask) return scan_channel_done();
  enqueue(
      channel,
      Step{
          mbus::select_secondary(*mask).to_vector(),
          [this, channel, search](const protocol::AnyScanResult*, protocol::Bytes heard) {
            using Answer = mbus::SecondarySearch::Answer;
            const bool single = heard.size() == 1 && heard[0] == mbus::kAck;
            search->answer(heard.empty() ? Answer::none
                           : single      ? Answer::single
                                         : Answer::collision);
            if (!single) return secondary_step(channel, search);
            // One meter is selected: read it at FD to learn its address.
            enqueue(
                channel,
                Step{
                    mbus::req_ud2(mbus::kAddressSelected, true).to_vector(),
                    [this, channel, search](const protocol::AnyScanResult* reply, protocol::Bytes) {
                      mbus::Telegram t;
                      if (reply != nullptr && reply->protocol == protocol::Protocol::mbus &&
                          mbus::decode_telegram(reply->mbus, t) && t.has_identity) {
                        scan_found(ArchiveEntry{
                            static_cast<std::uint8_t>(channel), ArchiveEntry::mbus_secondary, 0,
                            mbus::SecondaryAddress{t.id, t.manufacturer, t.version, t.medium}, 0});
                      }
                      secondary_step(channel, search);
                    }});
          },
          true});
}

}  // namespace heatlink::sim
