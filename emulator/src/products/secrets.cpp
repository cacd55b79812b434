#include "products/secrets.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace era::products {
namespace {

Error missing(std::string_view owner, std::string_view ref, std::string_view why) {
  std::string m(owner);
  m.append(": ").append(ref).append(" ").append(why);
  return Error(Code::ENCRYPTION_SECRET_MISSING, std::move(m));
}

}  // namespace

Result<std::string> resolve_secret(std::string_view ref, const std::filesystem::path& base_dir,
                                   std::string_view owner) {
  std::string raw;  // the variable's value or the file's bytes
  bool from_file = false;
  if (ref.starts_with("env:")) {
    std::string name(ref.substr(4));
    if (name.empty()) return fail(missing(owner, ref, "names no environment variable (use env:NAME)"));
    const char* v = std::getenv(name.c_str());
    if (!v) {
      std::string why("is not set (export ");
      why.append(name).append("=<secret of at least 16 bytes>)");
      return fail(missing(owner, ref, why));
    }
    raw = v;
  } else if (ref.starts_with("file:")) {
    std::filesystem::path p(std::string(ref.substr(5)));
    if (p.empty()) return fail(missing(owner, ref, "names no file (use file:PATH)"));
    if (p.is_relative()) p = base_dir / p;
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      std::string why("cannot be read (");
      why.append(p.string()).append(")");
      return fail(missing(owner, ref, why));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    raw = ss.str();
    from_file = true;
  } else {
    return fail(missing(owner, ref, "is not a secret reference (use \"env:NAME\" or \"file:PATH\")"));
  }
  std::string_view secret = raw;
  if (from_file && secret.ends_with("\r\n")) secret.remove_suffix(2);
  else if (from_file && secret.ends_with('\n')) secret.remove_suffix(1);
  if (secret.empty()) return fail(missing(owner, ref, "is empty"));
  if (secret.size() < kMinSecretBytes) {
    // Built with append: GCC 12 warns falsely on operator+(const char*, string&&) here.
    std::string why("is too short: ");
    why.append(std::to_string(secret.size())).append(" bytes, at least ");
    why.append(std::to_string(kMinSecretBytes)).append(" needed (e.g. openssl rand -base64 32)");
    return fail(missing(owner, ref, why));
  }
  Result<std::string> out(std::in_place, secret.data(), secret.size());
  std::fill(raw.begin(), raw.end(), '\0');
  return out;
}

}  // namespace era::products
