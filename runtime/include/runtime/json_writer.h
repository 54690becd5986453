// A small streaming JSON writer that appends to a std::string.
//
// Strings are escaped the way Go's encoding/json does, so bytes written by us and by a Go peer compare
// equal: '"' and '\\' escaped; \n \r \t as such; other control characters as \u00XX; '<', '>', '&' as
// \u003c \u003e \u0026; U+2028/U+2029 as \u2028/\u2029; invalid UTF-8 bytes become U+FFFD (\ufffd).
// Numbers: integers exactly; doubles in the shortest form that reads back the same (Go's 'f' format,
// switching to exponent form below 1e-6 and from 1e21), NaN and infinities as null.
//
//   std::string out;
//   JsonWriter w(out);
//   w.begin_object();
//   w.key("id").value("rs-1");
//   w.key("load").value(3);
//   w.key("tags").begin_array().value("a").value("b").end_array();
//   w.key("raw").raw(R"({"x":1})");      // caller guarantees `raw` is valid JSON
//   w.end_object();
//
// Commas are inserted automatically. Misuse (a value where a key is expected) is a programming error and
// asserted in debug builds. Not thread-safe; cheap to construct (no allocation beyond `out`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ec::rt {

class JsonWriter {
  public:
    explicit JsonWriter(std::string& out) noexcept : _out(out) {}

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view k);

    JsonWriter& value(std::string_view s);
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
    JsonWriter& value(bool b);
    JsonWriter& value(int v) { return write_int(v); }
    JsonWriter& value(long v) { return write_int(v); }       // NOLINT(google-runtime-int)
    JsonWriter& value(long long v) { return write_int(v); }  // NOLINT(google-runtime-int)
    JsonWriter& value(unsigned v) { return write_uint(v); }
    JsonWriter& value(unsigned long v) { return write_uint(v); }       // NOLINT(google-runtime-int)
    JsonWriter& value(unsigned long long v) { return write_uint(v); }  // NOLINT(google-runtime-int)
    JsonWriter& value(double d);
    JsonWriter& null();
    // Inserts pre-encoded JSON verbatim (e.g. an embedded document). Empty input writes null.
    JsonWriter& raw(std::string_view json);

    // Nesting depth (0 when every container is closed).
    int depth() const noexcept { return _depth; }

  private:
    JsonWriter& write_int(int64_t v);
    JsonWriter& write_uint(uint64_t v);
    void before_value();

    std::string& _out;
    // Bit i set: the container at depth i already holds an element (a comma comes next).
    uint64_t _has_elems = 0;
    uint64_t _is_object = 0;
    int _depth = 0;
    bool _after_key = false;
};

// Appends `s` as a quoted JSON string with the escaping described above.
void json_append_string(std::string& out, std::string_view s);

// Appends `d` as Go's encoding/json would (null for NaN/Inf).
void json_append_double(std::string& out, double d);

}  // namespace ec::rt
