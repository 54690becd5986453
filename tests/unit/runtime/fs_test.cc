#include "runtime/fs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace ec::rt {
namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/ec_fs_XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(Fs, AtomicWriteCreatesParentsAndReadsBack) {
    Reactor r;
    TempDir d;
    std::string p = (d.path / "a/b/c/file.html").string();
    std::string data(100000, 'x');
    EXPECT_EQ(r.block_on(fs::write_file_atomic(p, data)), 0);
    std::string back;
    EXPECT_EQ(r.block_on(fs::read_file(p, back)), 0);
    EXPECT_EQ(back, data);
    // No temporary files are left behind.
    int entries = 0;
    for (auto& e : std::filesystem::directory_iterator(d.path / "a/b/c")) {
        (void)e;
        ++entries;
    }
    EXPECT_EQ(entries, 1);
}

TEST(Fs, ReadFileLimitAndMissing) {
    Reactor r;
    TempDir d;
    std::string p = (d.path / "big").string();
    ASSERT_EQ(r.block_on(fs::write_file_atomic(p, std::string(5000, 'y'))), 0);
    std::string out;
    EXPECT_EQ(r.block_on(fs::read_file(p, out, 100)), -EFBIG);
    EXPECT_EQ(r.block_on(fs::read_file((d.path / "nope").string(), out)), -ENOENT);
}

TEST(Fs, StatxRenameUnlinkMkdir) {
    Reactor r;
    TempDir d;
    std::string a = (d.path / "a").string(), b = (d.path / "b").string(), sub = (d.path / "sub").string();
    ASSERT_EQ(r.block_on(fs::write_file_atomic(a, std::string(1234, 'z'))), 0);
    int res = r.block_on([](std::string a1, std::string b1, std::string s1) -> Task<int> {
        struct statx st {};
        int rc = co_await fs::statx(a1.c_str(), &st);
        EXPECT_EQ(rc, 0);
        EXPECT_EQ(st.stx_size, 1234u);
        EXPECT_EQ(co_await fs::rename(a1.c_str(), b1.c_str()), 0);
        EXPECT_EQ(co_await fs::statx(a1.c_str(), &st), -ENOENT);
        EXPECT_EQ(co_await fs::mkdir(s1.c_str()), 0);
        EXPECT_EQ(co_await fs::mkdir(s1.c_str()), -EEXIST);
        EXPECT_EQ(co_await fs::unlink(s1.c_str(), AT_REMOVEDIR), 0);
        co_return co_await fs::unlink(b1.c_str());
    }(a, b, sub));
    EXPECT_EQ(res, 0);
    EXPECT_FALSE(std::filesystem::exists(b));
}

TEST(Fs, WriteIntoUnwritableDirFailsCleanly) {
    Reactor r;
    int rc = r.block_on(fs::write_file_atomic("/proc/ec_cannot_write_here/x", std::string("data")));
    EXPECT_LT(rc, 0);
}

}  // namespace
}  // namespace ec::rt
