// GET /_emu/ui/: the web inspector, a single page served from the binary (ui_assets.h) that
// drives the emulator through the same /_emu routes scripts use. Static files need no token
// (the page asks for it and sends it with each call); everything it reads or changes does.
#include "api/control/control.h"
#include "api/control/ui_assets.h"
#include "api/json_io.h"

namespace era::api {
namespace {

// Same-origin only: nothing may frame the page, load it as a script, or talk elsewhere.
constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

Status send_asset(Call& c, std::string_view name) {
  for (const auto& a : ui_assets()) {
    if (a.name != name) continue;
    c.res.status = 200;
    c.res.set_content(std::string(a.bytes), std::string(a.content_type));
    c.res.set_header("Content-Security-Policy", kCsp);
    c.res.set_header("X-Content-Type-Options", "nosniff");
    c.res.set_header("Referrer-Policy", "no-referrer");
    c.res.set_header("Cache-Control", "no-cache");
    return {};
  }
  return fail(Error(Code::NOT_FOUND, "no inspector file \"" + std::string(name).substr(0, 80) + "\""));
}

void redirect(Call& c, const char* to) {
  c.res.status = 302;
  c.res.set_header("Location", to);
}

}  // namespace

void add_ui_routes(Router& r, Services&) {
  r.add("GET", "/", Service::control, Op::control, [](Call& c) -> Status { return redirect(c, "/_emu/ui/"), Status{}; },
        "Redirect to the web inspector").quick = true;
  r.add("GET", "/_emu/ui", Service::control, Op::control, [](Call& c) -> Status { return redirect(c, "/_emu/ui/"), Status{}; },
        "Redirect to /_emu/ui/").quick = true;
  r.add("GET", "/_emu/ui/", Service::control, Op::control, [](Call& c) { return send_asset(c, "index.html"); },
        "The web inspector (docs/inspector.md)").quick = true;
  r.add("GET", "/_emu/ui/{file}", Service::control, Op::control, [](Call& c) { return send_asset(c, c.params[0]); },
        "The web inspector's scripts and styles").quick = true;
}

}  // namespace era::api
