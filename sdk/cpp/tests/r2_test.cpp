#include <filesystem>
#include <fstream>
#include <random>

#include "fixture.h"

using namespace era::client;
using era::client::test::Emu;

namespace {
std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
  return s;
}
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& name) {
    path = std::filesystem::temp_directory_path() / ("era-client-" + std::to_string(std::random_device{}()) + name);
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};
std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TEST_CASE("client r2 json: put, get, list, delete with metadata", "[client][r2]") {
  Emu e;
  auto r2 = e.client.r2("files");
  R2PutOptions o;
  o.custom_metadata = {{"owner", "ada"}};
  o.http_metadata.content_type = "text/plain";
  auto put = r2.put("docs/a b.txt", all_bytes(), o);
  REQUIRE_OK(put);
  CHECK(put->size == 256);
  CHECK(put->etag.size() == 32);

  auto got = r2.get("docs/a b.txt");
  REQUIRE_OK(got);
  REQUIRE(got->has_value());
  CHECK((*got)->body == all_bytes());
  CHECK((*got)->size == 256);
  CHECK((*got)->custom_metadata == std::map<std::string, std::string>{{"owner", "ada"}});
  CHECK((*got)->http_metadata.content_type == "text/plain");
  CHECK((*got)->etag == put->etag);

  REQUIRE_OK(r2.put("docs/b.txt", "b"));
  REQUIRE_OK(r2.put("img/c.png", "c"));
  auto page = r2.list({.prefix = "docs/"});
  REQUIRE_OK(page);
  REQUIRE(page->objects.size() == 2);
  CHECK(page->objects[0].key == "docs/a b.txt");
  CHECK(page->objects[1].key == "docs/b.txt");
  auto grouped = r2.list({.delimiter = "/"});
  REQUIRE_OK(grouped);
  CHECK(grouped->delimited_prefixes == std::vector<std::string>{"docs/", "img/"});

  REQUIRE_OK(r2.del("docs/a b.txt"));
  auto gone = r2.get("docs/a b.txt");
  REQUIRE_OK(gone);
  CHECK_FALSE(gone->has_value());
}

TEST_CASE("client r2 binary: put_raw, head, ranges and conditionals", "[client][r2][raw]") {
  Emu e;
  auto r2 = e.client.r2("files");
  R2PutOptions o;
  o.http_metadata.content_type = "application/x-test";
  o.custom_metadata = {{"k", "v"}};
  auto put = r2.put_raw("data/x?y#z.bin", "0123456789", o);
  REQUIRE_OK(put);
  CHECK(put->size == 10);

  auto head = r2.head("data/x?y#z.bin");
  REQUIRE_OK(head);
  REQUIRE(head->has_value());
  CHECK((*head)->size == 10);
  CHECK((*head)->etag == put->etag);
  CHECK((*head)->http_metadata.content_type == "application/x-test");
  CHECK((*head)->custom_metadata.at("k") == "v");

  auto part = r2.get_raw("data/x?y#z.bin", {.range = R2Range{.offset = 2, .length = 3}});
  REQUIRE_OK(part);
  REQUIRE(part->has_value());
  CHECK((*part)->status == 206);
  CHECK((*part)->body == "234");
  CHECK((*part)->content_range == "bytes 2-4/10");
  auto suffix = r2.get_raw("data/x?y#z.bin", {.range = R2Range{.suffix = 3}});
  REQUIRE_OK(suffix);
  CHECK((*suffix)->body == "789");

  auto bad_range = r2.get_raw("data/x?y#z.bin", {.range = R2Range{.offset = 50}});
  REQUIRE_FALSE(bad_range);
  CHECK(bad_range.error().status == 416);

  R2GetOptions not_modified;
  not_modified.only_if.etag_does_not_match = put->etag;
  auto nm = r2.get_raw("data/x?y#z.bin", not_modified);
  REQUIRE_OK(nm);
  CHECK((*nm)->status == 304);
  CHECK((*nm)->body.empty());

  R2PutOptions guarded;
  guarded.only_if.etag_matches = "0000000000000000000000000000dead";
  auto refused = r2.put_raw("data/x?y#z.bin", "other", guarded);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().status == 412);
  CHECK(r2.get_raw("data/x?y#z.bin")->value().body == "0123456789");  // untouched

  REQUIRE_OK(r2.del_raw("data/x?y#z.bin"));
  auto missing = r2.head("data/x?y#z.bin");
  REQUIRE_OK(missing);
  CHECK_FALSE(missing->has_value());
}

TEST_CASE("client r2 binary: files stream up and down byte-exact", "[client][r2][files]") {
  Emu e;
  auto r2 = e.client.r2("files");
  TempFile src(".src"), dst(".dst");
  std::string content;
  std::mt19937 rng(7);
  content.resize(3 * 1024 * 1024 + 17);  // several 256 KiB chunks and a ragged tail
  for (auto& ch : content) ch = static_cast<char>(rng());
  { std::ofstream(src.path, std::ios::binary) << content; }

  auto put = r2.put_file("big.bin", src.path);
  REQUIRE_OK(put);
  CHECK(put->size == content.size());
  auto got = r2.get_file("big.bin", dst.path);
  REQUIRE_OK(got);
  REQUIRE(got->has_value());
  CHECK((*got)->size == content.size());
  CHECK(read_file(dst.path) == content);
  CHECK_FALSE(std::filesystem::exists(dst.path.string() + ".part"));

  TempFile none(".none");
  auto missing = r2.get_file("nope.bin", none.path);
  REQUIRE_OK(missing);
  CHECK_FALSE(missing->has_value());
  CHECK_FALSE(std::filesystem::exists(none.path));

  auto no_source = r2.put_file("x", "/nonexistent/era/file");
  REQUIRE_FALSE(no_source);
  CHECK(no_source.error().code == "FILE_ERROR");
}
