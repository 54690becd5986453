// Typed replies, the RESP reply parser (hiredis redisReader) and command encoding.
#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <charconv>
#include <cstring>
#include <new>

#include "runtime/redis.h"

namespace ec::rt::redis {

const char* errc_name(Errc e) noexcept {
    switch (e) {
        case Errc::timeout:
            return "timeout";
        case Errc::connection_lost:
            return "connection_lost";
        case Errc::not_connected:
            return "not_connected";
        case Errc::cancelled:
            return "cancelled";
        case Errc::closed:
            return "closed";
    }
    return "unknown";
}

// ------------------------------------------------------------------------- Reply

std::string_view Reply::error_code() const noexcept {
    if (_type != Type::error) return {};
    std::string_view s = _str;
    return s.substr(0, s.find(' '));
}

namespace {

void append_quoted(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(ch);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c < 0x20 || c >= 0x7f) {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        } else {
            out.push_back(ch);
        }
    }
    out.push_back('"');
}

void render(const Reply& r, std::string& out) {
    switch (r.type()) {
        case Reply::Type::nil:
            out += "(nil)";
            return;
        case Reply::Type::status:
            out += r.str();
            return;
        case Reply::Type::error:
            out += "(error) ";
            out += r.str();
            return;
        case Reply::Type::integer:
            out += "(integer) ";
            out += std::to_string(r.integer());
            return;
        case Reply::Type::string:
            append_quoted(out, r.str());
            return;
        case Reply::Type::array: {
            if (r.elements().empty()) {
                out += "(empty array)";
                return;
            }
            out.push_back('[');
            bool first = true;
            for (const Reply& e : r.elements()) {
                if (!first) out += ", ";
                first = false;
                render(e, out);
            }
            out.push_back(']');
            return;
        }
    }
}

}  // namespace

std::string Reply::to_string() const {
    std::string out;
    render(*this, out);
    return out;
}

// ------------------------------------------------------------------------- encoding

namespace {

size_t decimal_digits(size_t v) noexcept {
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        ++n;
    }
    return n;
}

char* put_header(char* p, char tag, size_t v) noexcept {
    *p++ = tag;
    p = std::to_chars(p, p + 20, v).ptr;
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

}  // namespace

void append_command(std::string& out, std::span<const ArgList> parts) {
    size_t argc = 0;
    size_t total = 0;
    for (const ArgList& part : parts) {
        argc += part.size();
        for (size_t i = 0; i < part.size(); ++i) {
            size_t n = part[i].size();
            total += 1 + decimal_digits(n) + 2 + n + 2;  // $<len>\r\n<bytes>\r\n
        }
    }
    total += 1 + decimal_digits(argc) + 2;  // *<argc>\r\n
    size_t old = out.size();
    out.resize(old + total);
    char* p = out.data() + old;
    p = put_header(p, '*', argc);
    for (const ArgList& part : parts) {
        for (size_t i = 0; i < part.size(); ++i) {
            std::string_view a = part[i];
            p = put_header(p, '$', a.size());
            if (!a.empty()) std::memcpy(p, a.data(), a.size());
            p += a.size();
            *p++ = '\r';
            *p++ = '\n';
        }
    }
}

// ------------------------------------------------------------------------- parser

// redisReader with our own object functions: replies are built in place (the root in
// `root`, children in their parent's element vector), so hiredis allocates no reply
// objects and nothing is converted afterwards.
struct ReplyParser::Impl {
    redisReader* reader = nullptr;
    Reply root;

    static Reply* slot(const redisReadTask* t) noexcept {
        if (t->parent) {
            auto* parent = static_cast<Reply*>(t->parent->obj);
            return &parent->elements_mut()[static_cast<size_t>(t->idx)];
        }
        return &static_cast<Impl*>(t->privdata)->root;
    }
    // Returning nullptr makes hiredis report out-of-memory; exceptions must not cross C.
    static void* create_string(const redisReadTask* t, char* s, size_t n) noexcept {
        try {
            Reply* out = slot(t);
            std::string_view v(s, n);
            if (t->type == REDIS_REPLY_ERROR)
                *out = Reply::error(v);
            else if (t->type == REDIS_REPLY_STATUS)
                *out = Reply::status(v);
            else
                *out = Reply::string(v);
            return out;
        } catch (...) {
            return nullptr;
        }
    }
    static void* create_array(const redisReadTask* t, size_t n) noexcept {
        try {
            Reply* out = slot(t);
            *out = Reply::array(std::vector<Reply>(n));
            return out;
        } catch (...) {
            return nullptr;
        }
    }
    static void* create_integer(const redisReadTask* t, long long v) noexcept {
        Reply* out = slot(t);
        *out = Reply::integer(v);
        return out;
    }
    static void* create_nil(const redisReadTask* t) noexcept {
        Reply* out = slot(t);
        *out = Reply();
        return out;
    }
    // Only ever called with the root (an abandoned partial reply).
    static void free_object(void* p) noexcept { *static_cast<Reply*>(p) = Reply(); }

#if HIREDIS_MAJOR >= 1
    // RESP3 types never occur (we never send HELLO 3); mapped for completeness.
    static void* create_double(const redisReadTask* t, double, char* s, size_t n) noexcept {
        try {
            Reply* out = slot(t);
            *out = Reply::string(std::string_view(s, n));
            return out;
        } catch (...) {
            return nullptr;
        }
    }
    static void* create_bool(const redisReadTask* t, int v) noexcept {
        Reply* out = slot(t);
        *out = Reply::integer(v ? 1 : 0);
        return out;
    }
    static void* create_array_1x(const redisReadTask* t, size_t n) noexcept { return create_array(t, n); }
    static inline redisReplyObjectFunctions functions = {
        .createString = &create_string,
        .createArray = &create_array_1x,
        .createInteger = &create_integer,
        .createDouble = &create_double,
        .createNil = &create_nil,
        .createBool = &create_bool,
        .freeObject = &free_object,
    };
#else
    static void* create_array_014(const redisReadTask* t, int n) noexcept {
        return n < 0 ? nullptr : create_array(t, static_cast<size_t>(n));
    }
    static inline redisReplyObjectFunctions functions = {
        .createString = &create_string,
        .createArray = &create_array_014,
        .createInteger = &create_integer,
        .createNil = &create_nil,
        .freeObject = &free_object,
    };
#endif
};

ReplyParser::ReplyParser() : _impl(std::make_unique<Impl>()) {
    _impl->reader = redisReaderCreateWithFunctions(&Impl::functions);
    if (!_impl->reader) throw std::bad_alloc();
    _impl->reader->privdata = _impl.get();
    // hiredis frees its buffer whenever it is empty and has more than maxbuf spare; keep
    // enough for a full recv so steady traffic does not reallocate it per feed.
    _impl->reader->maxbuf = size_t{256} << 10;
}

ReplyParser::~ReplyParser() {
    redisReaderFree(_impl->reader);
}

void ReplyParser::feed(const char* data, size_t n) {
    redisReaderFeed(_impl->reader, data, n);
}

ReplyParser::Status ReplyParser::next(Reply& out) {
    void* obj = nullptr;
    if (redisReaderGetReply(_impl->reader, &obj) != REDIS_OK) return Status::error;
    if (!obj) return Status::need_more;
    out = std::move(_impl->root);
    _impl->root = Reply();
    return Status::reply;
}

std::string ReplyParser::error() const {
    const redisReader* r = _impl->reader;
    return r->err ? std::string(r->errstr) : std::string();
}

// ------------------------------------------------------------------------- Script

Script::Script(std::string source) : _source(std::move(source)) {
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(_source.data()), _source.size(), md);
    static constexpr char kHex[] = "0123456789abcdef";
    _sha1.resize(size_t{2} * SHA_DIGEST_LENGTH);
    for (size_t i = 0; i < SHA_DIGEST_LENGTH; ++i) {
        _sha1[2 * i] = kHex[md[i] >> 4];
        _sha1[2 * i + 1] = kHex[md[i] & 15];
    }
}

}  // namespace ec::rt::redis
