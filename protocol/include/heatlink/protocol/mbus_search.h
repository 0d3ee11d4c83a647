// The wildcard search for secondary addresses, sans-I/O: it says which mask to select next,
// is told what came back, and collects the masks that selected exactly one meter.
//
// Depth-first over the 16 nibbles of "IIIIIIIIMMMMVVDD", most significant first: a mask that
// nobody answers is dropped, one that one meter answers (a single E5) is a find, and one that
// several answer (garbage, a collision) is refined at the next position. ID positions take
// 0-9; manufacturer, version and medium positions take 0-F (libmbus tries only 0-9 there and
// misses devices). F is also the wildcard, so a meter may be found under several masks (read
// each at FD and keep one per address), and meters that differ only where another has an F
// cannot be selected alone by any mask: a limit of the protocol.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "heatlink/protocol/mbus_request.h"

namespace heatlink::protocol::mbus {

class SecondarySearch {
 public:
  enum class Answer : std::uint8_t { none, single, collision };

  // Searches below `start` (all wildcards by default); its fixed nibbles stay fixed.
  explicit SecondarySearch(const SecondaryAddress& start = {});

  // The mask to select next, or nothing when the search is over.
  std::optional<SecondaryAddress> next() const;
  // What the selection of next() brought.
  void answer(Answer a);

  bool done() const noexcept { return done_; }
  const std::vector<SecondaryAddress>& found() const noexcept { return found_; }
  std::size_t probes() const noexcept { return probes_; }

  // Where the search stands, as text to carry it into another process (a master restarted
  // in the middle of a scan): "" before the first selection, "done" after the last, else a
  // position and a digit, one hex character each, per refined level. restore() takes it back,
  // with the selections counted and the finds so far; false (the search unchanged) when the
  // text is not a cursor of a search from this start.
  std::string cursor() const;
  bool restore(std::string_view cursor, std::size_t probes, std::vector<SecondaryAddress> found);

 private:
  struct Level {
    std::uint64_t base;  // the mask this level refines
    int position;        // the nibble it varies (0 = the ID's most significant digit)
    int digit;           // the value being tried
  };

  std::uint64_t current() const noexcept;
  int next_wildcard(std::uint64_t mask, int after) const noexcept;
  void advance();
  void add_found(std::uint64_t mask);
  int wildcard_branches() const noexcept;

  std::vector<Level> stack_;
  std::uint64_t start_;
  bool started_ = false;
  bool done_ = false;
  std::size_t probes_ = 0;
  std::vector<SecondaryAddress> found_;
};

}  // namespace heatlink::protocol::mbus
