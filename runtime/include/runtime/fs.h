// File operations on the ring. Each returns an awaitable resuming with the syscall's
// result (>= 0) or -errno. Path strings and buffers must stay valid until resumed
// (await the result immediately: `co_await fs::open(path.c_str(), O_RDONLY)`).
#pragma once

#include <fcntl.h>
#include <linux/stat.h>
#include <sys/stat.h>

#include <cstdint>
#include <span>
#include <string>

#include "runtime/reactor.h"
#include "runtime/task.h"

namespace ec::rt::fs {

inline auto open(const char* path, int flags, mode_t mode = 0644) noexcept {
    return uring_op(
        [=](io_uring_sqe* s) { io_uring_prep_openat(s, AT_FDCWD, path, flags | O_CLOEXEC, mode); });
}
inline auto close(int fd) noexcept {
    return uring_op([=](io_uring_sqe* s) { io_uring_prep_close(s, fd); });
}
inline auto read(int fd, std::span<char> buf, uint64_t offset) noexcept {
    return uring_op([=](io_uring_sqe* s) {
        io_uring_prep_read(s, fd, buf.data(), static_cast<unsigned>(buf.size()), offset);
    });
}
inline auto write(int fd, std::span<const char> buf, uint64_t offset) noexcept {
    return uring_op([=](io_uring_sqe* s) {
        io_uring_prep_write(s, fd, buf.data(), static_cast<unsigned>(buf.size()), offset);
    });
}
inline auto statx(const char* path, struct statx* out, unsigned mask = STATX_BASIC_STATS,
                  int flags = 0) noexcept {
    return uring_op([=](io_uring_sqe* s) { io_uring_prep_statx(s, AT_FDCWD, path, flags, mask, out); });
}
inline auto fstatx(int fd, struct statx* out, unsigned mask = STATX_BASIC_STATS) noexcept {
    return uring_op([=](io_uring_sqe* s) { io_uring_prep_statx(s, fd, "", AT_EMPTY_PATH, mask, out); });
}
inline auto rename(const char* from, const char* to) noexcept {
    return uring_op([=](io_uring_sqe* s) { io_uring_prep_renameat(s, AT_FDCWD, from, AT_FDCWD, to, 0); });
}
inline auto unlink(const char* path, int flags = 0) noexcept {
    return uring_op([=](io_uring_sqe* s) { io_uring_prep_unlinkat(s, AT_FDCWD, path, flags); });
}
inline auto mkdir(const char* path, mode_t mode = 0755) noexcept {
    return uring_op([=](io_uring_sqe* s) { io_uring_prep_mkdirat(s, AT_FDCWD, path, mode); });
}

// Reads a whole file (up to max_bytes). Returns 0 or -errno; -EFBIG when larger.
Task<int> read_file(const std::string& path, std::string& out, size_t max_bytes = size_t{64} << 20);
// Writes `data` to `path` atomically: a temporary file in the same directory, then rename.
// Missing parent directories are created (0755). Returns 0 or -errno; never leaves a
// partial file at `path`.
Task<int> write_file_atomic(const std::string& path, std::span<const char> data, mode_t mode = 0644);
// mkdir -p. Returns 0 or -errno.
Task<int> make_dirs(const std::string& path, mode_t mode = 0755);

}  // namespace ec::rt::fs
