#include "core/checksum.h"

#include <catch2/catch.hpp>

#include "core/crypto.h"

using era::core::Crc;

namespace {
std::string hex_of(Crc::Alg alg, std::string_view data, size_t split = 0) {
  Crc c(alg);
  if (split) {
    c.update(data.substr(0, split));
    c.update(data.substr(split));
  } else {
    c.update(data);
  }
  return era::core::to_hex(c.finish());
}
}  // namespace

// Check values from the CRC catalogue ("123456789"), and the same split across two updates.
TEST_CASE("crc: catalogue check values, whole and streamed", "[crc]") {
  CHECK(hex_of(Crc::Alg::crc32, "123456789") == "cbf43926");
  CHECK(hex_of(Crc::Alg::crc32c, "123456789") == "e3069283");
  CHECK(hex_of(Crc::Alg::crc64nvme, "123456789") == "ae8b14860a799888");
  for (size_t split : {1, 4, 8}) {
    CHECK(hex_of(Crc::Alg::crc32, "123456789", split) == "cbf43926");
    CHECK(hex_of(Crc::Alg::crc32c, "123456789", split) == "e3069283");
    CHECK(hex_of(Crc::Alg::crc64nvme, "123456789", split) == "ae8b14860a799888");
  }
  CHECK(hex_of(Crc::Alg::crc32, "") == "00000000");
  CHECK(Crc::parse("CRC32C") == Crc::Alg::crc32c);
  CHECK(!Crc::parse("md5"));
}
