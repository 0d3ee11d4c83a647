// Errors as values for every decoder and encoder in heatlink::protocol.
//
// An Error names the byte it is about (an offset into the caller's input), the field, and,
// where one byte was expected and another found, both bytes. It never allocates: message()
// builds the human-readable text on demand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace heatlink::protocol {

enum class Errc : std::uint8_t {
  ok = 0,
  truncated,   // the input ends inside a frame or a field
  bad_start,   // a byte that cannot start a frame
  bad_length,  // a length field out of range, or disagreeing with another
  bad_checksum,
  bad_stop,     // the stop byte is not 0x16
  bad_field,    // a field holds a value the standard does not allow
  unsupported,  // well-formed, but reserved or not decodable
  too_long,     // an encoder's output would not fit the frame
};

const char* errc_name(Errc code) noexcept;

struct Error {
  Errc code = Errc::ok;
  std::size_t offset = 0;   // byte offset in the caller's input
  const char* field = "";   // static text: "checksum", "stop byte", "L field", ...
  const char* detail = "";  // static text, used when expected/found do not apply
  int expected = -1;        // the byte that was expected, or -1
  int found = -1;           // the byte that was found, or -1

  bool ok() const noexcept { return code == Errc::ok; }
  // "checksum: expected 0x5B, found 0x5A" or "L field: below the minimum of 3".
  std::string message() const;
};

// A value or an Error. Small and allocation-free beyond what T itself does.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(error) {}         // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace heatlink::protocol
