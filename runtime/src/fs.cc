#include "runtime/fs.h"

#include <unistd.h>

#include <cerrno>
#include <random>

namespace ec::rt::fs {

Task<int> read_file(const std::string& path, std::string& out, size_t max_bytes) {
    int fd = co_await open(path.c_str(), O_RDONLY);
    if (fd < 0) co_return fd;
    struct statx st {};
    int r = co_await fstatx(fd, &st, STATX_SIZE);
    if (r < 0) {
        co_await close(fd);
        co_return r;
    }
    if (st.stx_size > max_bytes) {
        co_await close(fd);
        co_return -EFBIG;
    }
    out.resize(st.stx_size);
    size_t got = 0;
    while (got < out.size()) {
        int n = co_await read(fd, std::span<char>(out.data() + got, out.size() - got), got);
        if (n < 0) {
            co_await close(fd);
            co_return n;
        }
        if (n == 0) break;  // file shrank while reading
        got += static_cast<size_t>(n);
    }
    out.resize(got);
    co_await close(fd);
    co_return 0;
}

Task<int> make_dirs(const std::string& path, mode_t mode) {
    if (path.empty()) co_return 0;
    int r = co_await mkdir(path.c_str(), mode);
    if (r == 0 || r == -EEXIST) co_return 0;
    if (r != -ENOENT) co_return r;
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos || slash == 0) co_return r;
    std::string parent = path.substr(0, slash);
    r = co_await make_dirs(parent, mode);
    if (r < 0) co_return r;
    r = co_await mkdir(path.c_str(), mode);
    co_return (r == -EEXIST) ? 0 : r;
}

Task<int> write_file_atomic(const std::string& path, std::span<const char> data, mode_t mode) {
    thread_local std::minstd_rand rng{static_cast<unsigned>(::getpid()) ^
                                      static_cast<unsigned>(reinterpret_cast<uintptr_t>(&rng))};
    std::string tmp = path + ".tmp." + std::to_string(rng());
    int fd = co_await open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd == -ENOENT) {
        auto slash = path.find_last_of('/');
        if (slash != std::string::npos && slash > 0) {
            int d = co_await make_dirs(path.substr(0, slash));
            if (d < 0) co_return d;
        }
        fd = co_await open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    }
    if (fd < 0) co_return fd;
    size_t off = 0;
    int err = 0;
    while (off < data.size()) {
        int n = co_await write(fd, data.subspan(off), off);
        if (n < 0) {
            err = n;
            break;
        }
        if (n == 0) {
            err = -EIO;
            break;
        }
        off += static_cast<size_t>(n);
    }
    int c = co_await close(fd);
    if (err == 0 && c < 0) err = c;
    if (err == 0) err = co_await rename(tmp.c_str(), path.c_str());
    if (err < 0) co_await unlink(tmp.c_str());  // disk full etc.: never leave a partial file
    co_return err;
}

}  // namespace ec::rt::fs
