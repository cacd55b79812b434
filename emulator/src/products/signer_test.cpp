#include "products/signer.h"

#include <catch2/catch.hpp>

#include "store/lmdb.h"
#include "support.h"

using namespace era;
using era::products::Grant;
using era::products::Signer;

TEST_CASE("signer: canonical string is unambiguous, every field is signed", "[signed][unit]") {
  Grant a{"GET", "b", "k\n5:x", 1000, std::nullopt, std::nullopt, ""};
  Grant b{"GET", "b", "k", 1000, std::nullopt, std::string("x"), ""};
  CHECK(products::canonical_string(a) != products::canonical_string(b));
  test::TempDir dir;
  auto db = store::Lmdb::open(dir.path, {});
  REQUIRE(db);
  auto s = Signer::open(**db);
  REQUIRE(s);
  Grant g{"PUT", "b", "k", 5000, 10, std::string("text/plain"), "n1"};
  std::string sig = (*s)->sign(g);
  CHECK((*s)->verify(g, sig, 4999));
  CHECK((*s)->verify(g, sig, 5000).error().code == Code::SIGNED_URL_EXPIRED);
  for (auto change : std::vector<std::function<void(Grant&)>>{
           [](Grant& x) { x.method = "GET"; }, [](Grant& x) { x.bucket = "c"; },
           [](Grant& x) { x.key = "k2"; }, [](Grant& x) { x.expires_ms = 5001; },
           [](Grant& x) { x.max_bytes = 11; }, [](Grant& x) { x.max_bytes.reset(); },
           [](Grant& x) { x.content_type = "text/html"; }, [](Grant& x) { x.nonce = "n2"; }}) {
    Grant t = g;
    change(t);
    CHECK((*s)->verify(t, sig, 0).error().code == Code::SIGNED_URL_BAD_SIGNATURE);
  }
  // Reopening the same environment yields the same secret.
  auto again = Signer::open(**db);
  REQUIRE(again);
  CHECK((*again)->sign(g) == sig);
}

TEST_CASE("signer: nonces are claimed once, released on failure, swept after expiry", "[signed][unit]") {
  test::TempDir dir;
  auto db = store::Lmdb::open(dir.path, {});
  REQUIRE(db);
  auto s = std::move(*Signer::open(**db));
  Grant g{"GET", "b", "k", 1000, std::nullopt, std::nullopt, Signer::new_nonce()};
  REQUIRE(s->claim(g));
  CHECK(s->claim(g).error().code == Code::SIGNED_URL_USED);  // pending
  REQUIRE(s->release(g));
  REQUIRE(s->claim(g));
  REQUIRE(s->confirm(g));
  REQUIRE(s->release(g));  // no-op once used
  CHECK(s->claim(g).error().code == Code::SIGNED_URL_USED);
  CHECK(*s->sweep(999) == 0);
  CHECK(*s->sweep(1000) == 1);
  CHECK(s->claim(g));  // pruned (the URL itself is expired by then)
}
