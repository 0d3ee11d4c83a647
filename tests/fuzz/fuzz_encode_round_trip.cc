// The RSP_UD encoder: records made from arbitrary bytes either fail with a clean error or
// encode to a frame that decodes back to the same records.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "heatlink/protocol/mbus_encode.h"
#include "heatlink/protocol/mbus_vif.h"

namespace mbus = heatlink::protocol::mbus;

namespace {

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint64_t bits(int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < (n + 7) / 8; ++i) v = v << 8 | byte();
    return n >= 64 ? v : v & ((std::uint64_t{1} << n) - 1);
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

constexpr int kCodingBytes[16] = {0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, 0, 6, 0};

// A record whose VIF is a plain value VIF of the primary table (no time points, no text).
bool next_spec(Input& in, mbus::RecordSpec& s) {
  const std::uint8_t vif = in.byte() & 0x7F;
  const mbus::VifInfo info = mbus::primary_vif(vif);
  if (info.kind != mbus::VifKind::value || vif > 0x7A) return false;
  s = mbus::RecordSpec{};
  s.function = static_cast<mbus::Function>(in.byte() & 3);
  s.storage = in.bits(41);
  s.tariff = static_cast<std::uint32_t>(in.bits(20));
  s.subunit = static_cast<std::uint16_t>(in.bits(10));
  s.coding = in.byte() & 0x0F;
  if (s.coding == 0xD || s.coding == 0xF) s.coding = 0x4;
  s.vif[0] = vif;
  s.vif_size = 1;
  s.mantissa = static_cast<std::int64_t>(in.bits(64));
  const int n = kCodingBytes[s.coding];
  if (s.coding < 8 && n > 0 && n < 8 && !info.bitfield) {  // keep the value in the signed range
    const std::int64_t half = std::int64_t{1} << (8 * n - 1);
    s.mantissa = s.mantissa % half;
  }
  if (s.coding < 8 && n > 0 && n < 8 && info.bitfield) {
    s.mantissa = static_cast<std::int64_t>(static_cast<std::uint64_t>(s.mantissa) >> (64 - 8 * n));
  }
  if (s.coding >= 9) {  // BCD: as many digits as fit, one nibble kept for a sign
    std::int64_t limit = 1;
    for (int i = 0; i < 2 * n - 1; ++i) limit *= 10;
    s.mantissa %= limit;
  }
  std::uint32_t bits = static_cast<std::uint32_t>(s.mantissa);
  std::memcpy(&s.real, &bits, sizeof s.real);
  if (s.real != s.real) s.real = 0;  // NaN never compares equal
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  std::vector<mbus::RecordSpec> specs;
  while (!in.empty() && specs.size() < 30) {
    mbus::RecordSpec s;
    if (next_spec(in, s)) specs.push_back(s);
  }
  mbus::TelegramHeader header;
  header.ci = (size > 0 && (data[0] & 1)) ? 0x76 : 0x72;
  const auto frame = mbus::encode_rsp_ud(1, header, specs);
  if (!frame.ok()) return 0;  // too long, or a value that does not fit: a clean error
  const auto decoded = mbus::decode_frame(frame->view());
  if (!decoded.ok()) std::abort();
  mbus::Telegram t;
  if (!mbus::decode_telegram(*decoded, t) || t.records.size() != specs.size()) std::abort();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const mbus::RecordSpec& s = specs[i];
    const mbus::Record& r = t.records[i];
    if (r.storage != s.storage || r.tariff != s.tariff || r.subunit != s.subunit ||
        r.function != s.function || r.coding != s.coding) {
      std::abort();
    }
    const bool numeric = s.coding != 0 && s.coding != 5 && s.coding != 8;
    if (numeric && r.mantissa != s.mantissa) std::abort();
    // A real travels as its shortest decimal; allow the last bit for double rounding.
    const float back = static_cast<float>(r.real);
    if (s.coding == 5 && back != s.real && std::fabs(back - s.real) > std::fabs(s.real) * 2e-7f) {
      std::abort();
    }
  }
  return 0;
}
