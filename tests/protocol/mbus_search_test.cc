// The secondary wildcard search against a set of addresses answering as meters on a bus.
#include "heatlink/protocol/mbus_search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace heatlink::protocol::mbus {
namespace {

// Runs the search against `devices`: a mask that selects none, one or several of them.
std::vector<SecondaryAddress> search(const std::vector<SecondaryAddress>& devices,
                                     std::size_t* probes = nullptr) {
  SecondarySearch s;
  while (const auto mask = s.next()) {
    const auto n = std::count_if(devices.begin(), devices.end(),
                                 [&](const SecondaryAddress& d) { return mask->matches(d); });
    s.answer(n == 0   ? SecondarySearch::Answer::none
             : n == 1 ? SecondarySearch::Answer::single
                      : SecondarySearch::Answer::collision);
  }
  if (probes != nullptr) *probes = s.probes();
  return s.found();
}

// Every device is selected by exactly one found mask.
void expect_all_found(const std::vector<SecondaryAddress>& devices) {
  const auto found = search(devices);
  for (const SecondaryAddress& d : devices) {
    const auto n = std::count_if(found.begin(), found.end(), [&](const SecondaryAddress& m) {
      return m.matches(d) &&
             std::count_if(devices.begin(), devices.end(),
                           [&](const SecondaryAddress& o) { return m.matches(o); }) == 1;
    });
    EXPECT_GE(n, 1) << d.to_string();
  }
}

TEST(SecondarySearch, FindsNothingOnAnEmptyBusInOneProbe) {
  std::size_t probes = 0;
  EXPECT_TRUE(search({}, &probes).empty());
  EXPECT_EQ(probes, 1u);
}

TEST(SecondarySearch, FindsALoneMeterAtOnce) {
  const auto found = search({*SecondaryAddress::parse("123456782C2D3404")});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].to_string(), "FFFFFFFFFFFFFFFF");
}

TEST(SecondarySearch, FindsMetersThatDifferOnlyInTheirIds) {
  std::vector<SecondaryAddress> devices;
  for (std::uint32_t i = 0; i < 40; ++i) {
    devices.push_back(
        SecondaryAddress{0x10000000u + ((i / 10) << 4) + (i % 10), 0x2C2D, 0x34, 0x04});
  }
  expect_all_found(devices);
}

TEST(SecondarySearch, FindsMetersThatDifferOnlyInHexPositionsLibmbusMisses) {
  // Same ID; manufacturer, version or medium differ in nibbles above 9, including F itself.
  // (A meter whose version is 0F next to one whose version is 0A and medium the same could
  // not be selected alone by any mask: F is the wildcard. These can.)
  expect_all_found(
      {*SecondaryAddress::parse("12345678ABCD0A04"), *SecondaryAddress::parse("12345678ABCD0B05"),
       *SecondaryAddress::parse("12345678ABCD0F06"), *SecondaryAddress::parse("12345678ABCE0A0C")});
}

TEST(SecondarySearch, ReportsExactDuplicatesOnce) {
  const auto a = *SecondaryAddress::parse("123456782C2D3404");
  const auto found = search({a, a});
  EXPECT_EQ(found.size(), 1u);
  EXPECT_TRUE(found[0] == a);
}

TEST(SecondarySearch, FindsEveryMeterOfRandomPopulations) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 30; ++round) {
    std::vector<SecondaryAddress> devices;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      std::uint32_t id = 0;
      for (int d = 0; d < 8; ++d)
        id = id << 4 | static_cast<std::uint32_t>(rng() % (d < 5 ? 2 : 10));
      auto nibble = [&rng] { return static_cast<std::uint8_t>(rng() % 15); };  // never F
      devices.push_back(SecondaryAddress{
          id, static_cast<std::uint16_t>(nibble() << 12 | nibble() << 8 | nibble() << 4 | nibble()),
          static_cast<std::uint8_t>(nibble() << 4 | nibble()), 0x04});
    }
    std::sort(devices.begin(), devices.end(),
              [](const auto& a, const auto& b) { return a.to_string() < b.to_string(); });
    devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
    SCOPED_TRACE(round);
    expect_all_found(devices);
  }
}

TEST(SecondarySearch, SearchesOnlyBelowAGivenMask) {
  SecondarySearch s(*SecondaryAddress::parse("1234FFFFFFFFFFFF"));
  EXPECT_EQ(s.next()->to_string(), "1234FFFFFFFFFFFF");
  s.answer(SecondarySearch::Answer::collision);
  EXPECT_EQ(s.next()->to_string(), "12340FFFFFFFFFFF");
}

SecondarySearch::Answer answer_of(const std::vector<SecondaryAddress>& devices,
                                  const SecondaryAddress& mask) {
  const auto n = std::count_if(devices.begin(), devices.end(),
                               [&](const SecondaryAddress& d) { return mask.matches(d); });
  return n == 0   ? SecondarySearch::Answer::none
         : n == 1 ? SecondarySearch::Answer::single
                  : SecondarySearch::Answer::collision;
}

TEST(SecondarySearch, CarriesOnFromItsCursorInAnotherProcess) {
  std::mt19937_64 rng(5);
  std::vector<SecondaryAddress> devices;
  for (int i = 0; i < 25; ++i)
    devices.push_back({static_cast<std::uint32_t>(0x10000000 + rng() % 0x2000), 0x2C2D,
                       static_cast<std::uint8_t>(rng() % 3), 0x04});
  std::size_t whole_probes = 0;
  const auto whole = search(devices, &whole_probes);
  // Stopped after every number of selections and carried on by a new search from the text.
  for (std::size_t stop = 0; stop < whole_probes; stop += 7) {
    SecondarySearch first;
    for (std::size_t i = 0; i < stop; ++i) first.answer(answer_of(devices, *first.next()));
    SecondarySearch second;
    ASSERT_TRUE(second.restore(first.cursor(), first.probes(), first.found())) << first.cursor();
    EXPECT_EQ(second.next(), first.next());
    while (const auto mask = second.next()) second.answer(answer_of(devices, *mask));
    EXPECT_EQ(second.found(), whole) << "stopped after " << stop;
    EXPECT_EQ(second.probes(), whole_probes);
  }
}

TEST(SecondarySearch, RefusesACursorThatIsNotOne) {
  SecondarySearch s(*SecondaryAddress::parse("1234FFFFFFFFFFFF"));
  for (const char* bad : {"0", "05", "4A", "40415", "4G", "4x", "4060", "done!"})
    EXPECT_FALSE(s.restore(bad, 3, {})) << bad;
  EXPECT_EQ(s.next()->to_string(), "1234FFFFFFFFFFFF") << "unchanged";
  ASSERT_TRUE(s.restore("4051", 3, {}));
  EXPECT_EQ(s.next()->to_string(), "123401FFFFFFFFFF");
  ASSERT_TRUE(s.restore("done", 9, {}));
  EXPECT_FALSE(s.next().has_value());
}

}  // namespace
}  // namespace heatlink::protocol::mbus
