// files::read_file and files::write_file (common/): limits before reading,
// errors that name the path, and writes that never leave a partial file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <csignal>
#include <filesystem>
#include <functional>
#include <thread>

#include "common/cli_runner.hpp"
#include "npusim/common/files.hpp"
#include "npusim/common/limits.hpp"

namespace npusim::testing {
namespace {

namespace fs = std::filesystem;

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string at(const std::string& name) const { return dir + "/" + name; }

  std::string error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const files::FileError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no FileError";
    return "";
  }
  std::string dir;
};

TEST_F(Files, ReadsAWholeFile) {
  write_text(at("a"), "hello");
  EXPECT_EQ(files::read_file(at("a"), 5, "a test file"), "hello");
}

TEST_F(Files, RefusesWhatIsNotAFileNamingIt) {
  EXPECT_EQ(error_of([&] { files::read_file(dir, 100, "a test file"); }),
            dir + ": is a directory, expected a test file");
  EXPECT_EQ(error_of([&] { files::read_file("/dev/zero", 100, "a test file"); }),
            "/dev/zero: is a character device, expected a test file");
  EXPECT_EQ(error_of([&] { files::read_file(at("none"), 100, "a test file"); }),
            at("none") + ": cannot open: No such file or directory");
}

TEST_F(Files, RefusesAFileLargerThanTheLimitBeforeReadingIt) {
  write_text(at("a"), std::string(2048, 'x'));
  EXPECT_EQ(error_of([&] { files::read_file(at("a"), 2047, "a test file"); }),
            at("a") + ": larger than the 2047 bytes allowed for a test file (docs/limits.md)");
  EXPECT_EQ(files::read_file(at("a"), 2048, "a test file").size(), 2048u);
}

TEST_F(Files, ReadsAPipeUpToTheLimit) {
  ASSERT_EQ(::mkfifo(at("fifo").c_str(), 0600), 0);
  std::thread writer([&] { write_text(at("fifo"), std::string(5000, 'y')); });
  EXPECT_EQ(error_of([&] { files::read_file(at("fifo"), 4096, "a test file"); }),
            at("fifo") + ": larger than the 4096 bytes allowed for a test file (docs/limits.md)");
  writer.join();
}

TEST_F(Files, WritesAtomicallyReplacingTheOldFileAndKeepingItsMode) {
  write_text(at("out"), "old");
  ::chmod(at("out").c_str(), 0640);
  files::write_file(at("out"), "new contents");
  EXPECT_EQ(slurp(at("out")), "new contents");
  EXPECT_EQ(fs::status(at("out")).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);
}

TEST_F(Files, AFailedWriteLeavesTheOldFileAndNoTemporary) {
  write_text(at("out"), "old");
  // A file-size limit makes the write fail as a full disk would (EFBIG).
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit lim{1024, 1024};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    try {
      files::write_file(at("out"), std::string(4096, 'z'));
    } catch (const files::FileError& e) {
      const std::string want = at("out") + ": cannot write: File too large";
      _exit(std::string(e.what()).rfind(want, 0) == 0 ? 0 : 2);
    }
    _exit(1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error, 2: another message";
  EXPECT_EQ(slurp(at("out")), "old");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);
}

TEST_F(Files, WriteErrorsNameThePath) {
  EXPECT_EQ(error_of([&] { files::write_file(dir, "x"); }),
            dir + ": cannot write: it is a directory");
  EXPECT_EQ(error_of([&] { files::write_file(at("no/dir/f"), "x"); }),
            at("no/dir/f") + ": cannot write: cannot create a file in " + at("no/dir") +
                ": No such file or directory");
  EXPECT_EQ(error_of([&] { files::check_writable(at("no/f")); }),
            at("no/f") + ": cannot write: cannot create a file in " + at("no") +
                ": No such file or directory");
  write_text(at("file"), "");
  EXPECT_EQ(error_of([&] { files::make_directories(at("file/sub")); }),
            at("file/sub") + ": cannot create directory: Not a directory");
}

// A device or a pipe is written in place, never replaced by a regular file
// (as root, a rename over /dev/full would turn the device into a file):
// /dev/null takes the bytes, /dev/full's "disk full" is an error naming it.
TEST_F(Files, WritesDevicesInPlaceAndReportsAFullOne) {
  files::check_writable("/dev/null");
  files::write_file("/dev/null", "x");
  EXPECT_EQ(error_of([&] { files::write_file("/dev/full", "x"); }),
            "/dev/full: cannot write: No space left on device");
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  EXPECT_TRUE(fs::is_character_file("/dev/full"));
}

TEST_F(Files, WritesIntoAPipeForItsReaderAndRefusesOneWithout) {
  ASSERT_EQ(::mkfifo(at("fifo").c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { files::write_file(at("fifo"), "x"); }),
            at("fifo") + ": cannot write: no process is reading this pipe");
  const int reader = ::open(at("fifo").c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  files::write_file(at("fifo"), "through the pipe");
  char buf[64] = {};
  const ssize_t n = ::read(reader, buf, sizeof buf);
  ::close(reader);
  EXPECT_EQ(std::string(buf, size_t(std::max<ssize_t>(n, 0))), "through the pipe");
  EXPECT_TRUE(fs::is_fifo(at("fifo")));
}

// Through a symbolic link the file it names is replaced; the link stays.
TEST_F(Files, WritesThroughASymbolicLinkKeepingTheLink) {
  write_text(at("real"), "old");
  fs::create_symlink("real", at("link"));
  files::write_file(at("link"), "new");
  EXPECT_TRUE(fs::is_symlink(at("link")));
  EXPECT_EQ(slurp(at("real")), "new");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 2);
}

TEST(Limits, ElementCountsAreCheckedWithoutOverflow) {
  EXPECT_EQ(limits::checked_elements({2, 3, 4}, 4, "t"), 24u);
  EXPECT_EQ(limits::checked_elements({0, int64_t{1} << 62}, 4, "t"), 0u);
  EXPECT_THROW(limits::checked_elements({int64_t{1} << 40, int64_t{1} << 40}, 1, "t"),
               limits::LimitError);
  EXPECT_THROW(limits::checked_elements({-1}, 1, "t"), limits::LimitError);
  try {
    limits::checked_elements({int64_t{1} << 30, 4}, 4, "tensor \"x\"");
    FAIL();
  } catch (const limits::LimitError& e) {
    EXPECT_STREQ(e.what(),
                 "tensor \"x\" of shape [1073741824,4] has more than 2147483648 elements, the "
                 "limit per tensor (docs/limits.md)");
  }
  EXPECT_EQ(limits::echo(std::string(100, 'a')), std::string(80, 'a') + "... (100 characters)");
}

}  // namespace
}  // namespace npusim::testing
