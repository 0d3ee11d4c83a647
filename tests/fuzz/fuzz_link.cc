// Every link procedure against an adversarial bus: the input picks a procedure and then
// scripts what comes back - chunks of any bytes, or silence until the deadline. No crash, no
// hang: each procedure ends with a verdict within a bounded number of steps.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "heatlink/protocol/cjt188_procedures.h"
#include "heatlink/protocol/hm660_procedures.h"
#include "heatlink/protocol/mbus_procedures.h"

namespace {

namespace link = heatlink::protocol::link;
namespace mbus = heatlink::protocol::mbus;
namespace cjt188 = heatlink::protocol::cjt188;
namespace hm660 = heatlink::protocol::hm660;

std::unique_ptr<link::ProcedureBase> procedure_for(std::uint8_t choice) {
  cjt188::MeterId meter;
  meter.address = *cjt188::Address::parse("00000012345678");
  switch (choice % 14) {
    case 0:
      return std::make_unique<mbus::MeterRead>(*mbus::Target::parse("5"));
    case 1: {
      mbus::ReadOptions options;
      options.data_set = 0x10;
      return std::make_unique<mbus::MeterRead>(*mbus::Target::parse("12345678FFFFFFFF"), options);
    }
    case 2:
      return std::make_unique<mbus::PrimaryScan>(1, 6);
    case 3:
      return std::make_unique<mbus::SecondaryScan>(
          *mbus::SecondaryAddress::parse("1234FFFFFFFFFFFF"));
    case 4:
      return std::make_unique<mbus::SetPrimaryAddress>(*mbus::Target::parse("3"), 7);
    case 5:
      return std::make_unique<mbus::RawExchange>(mbus::req_ud2(1, true).to_vector(), 2);
    case 6:
      return std::make_unique<cjt188::DataRead>(meter);
    case 7:
      return std::make_unique<cjt188::AddressRead>();
    case 8:
      return std::make_unique<cjt188::ValveCommand>(meter, false);
    case 9:
      return std::make_unique<cjt188::TimeSet>(meter, mbus::TimePoint{2026, 12, 1, 8, 0, 0});
    case 10:
      return std::make_unique<hm660::Command>(hm660::kInfo);
    case 11:
      return std::make_unique<hm660::EntryListRead>(hm660::kArchiveRead);
    case 12: {
      std::vector<hm660::ArchiveEntry> entries(20);
      for (std::size_t i = 0; i < entries.size(); ++i)
        entries[i].primary = static_cast<std::uint8_t>(i + 1);
      auto write = std::make_unique<hm660::ArchiveWrite>(entries, choice % 3 == 0 ? 15 : 0);
      write->pause_after(choice % 4);
      return write;
    }
    default:
      return std::make_unique<hm660::ReadingsCollect>(8);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The concentrator-mode decoders on the raw input too.
  const heatlink::protocol::Bytes all(data, size);
  (void)hm660::decode_info(all);
  (void)hm660::decode_page(all);
  (void)hm660::decode_comparison(all);
  (void)hm660::decode_readings(all);
  // A scan's cursor as a restarted master reads it back from the database.
  mbus::SecondarySearch search(*mbus::SecondaryAddress::parse("12FFFFFFFFFFFFFF"));
  if (search.restore(std::string(all.begin(), all.end()), size, {})) {
    for (int probes = 0; search.next() && probes < 64; ++probes)
      search.answer(static_cast<mbus::SecondarySearch::Answer>(probes % 3));
  }

  auto procedure = procedure_for(data[0]);
  link::Exchange exchange(*procedure, link::Timing::serial(2400));
  link::Micros now = 0;
  auto step = exchange.start(now);
  std::size_t at = 1;
  for (int steps = 0; !step.done; ++steps) {
    if (steps > 200'000) std::abort();  // a procedure that never ends
    // A chunk: its length byte (0: silence until the deadline), then that many bytes.
    const std::size_t length = at < size ? data[at++] : 0;
    if (length == 0 || at >= size) {
      now = step.deadline;
      step = exchange.on_deadline(now);
      continue;
    }
    const std::size_t n = std::min(length, size - at);
    now += 1000;
    step = exchange.on_bytes({data + at, n}, now);
    at += n;
  }
  if (procedure->verdict() == link::Verdict::running) std::abort();  // ended without a verdict
  return 0;
}
