#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "metrics/tensorboard_events.h"

using amkd::crc32c;
using amkd::masked_crc32c;

TEST_CASE("CRC-32C matches the standard check value", "[tensorboard]") {
  const std::string check = "123456789";
  CHECK(crc32c(check.data(), check.size()) == 0xE3069283u);  // RFC 3720, B.4
  // 32 zero bytes and 32 0xff bytes: RFC 3720's iSCSI test vectors.
  const std::string zeros(32, '\0'), ones(32, '\xff');
  CHECK(crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
  CHECK(crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
  // Continuing a CRC over a split buffer gives the CRC of the whole.
  CHECK(crc32c(check.data() + 4, 5, crc32c(check.data(), 4)) == 0xE3069283u);
  CHECK(masked_crc32c("", 0) == 0xa282ead8u);
}

TEST_CASE("a TFRecord frames the record with its length and masked CRCs", "[tensorboard]") {
  const std::string record = amkd::scalar_event(1.5, 7, {{"loss", 0.25}});
  const std::string framed = amkd::tfrecord(record);
  REQUIRE(framed.size() == record.size() + 16);
  uint64_t length = 0;
  std::memcpy(&length, framed.data(), 8);
  CHECK(length == record.size());
  uint32_t length_crc = 0, data_crc = 0;
  std::memcpy(&length_crc, framed.data() + 8, 4);
  std::memcpy(&data_crc, framed.data() + 12 + record.size(), 4);
  CHECK(length_crc == masked_crc32c(framed.data(), 8));
  CHECK(data_crc == masked_crc32c(record.data(), record.size()));
  CHECK(framed.substr(12, record.size()) == record);
}
