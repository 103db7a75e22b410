// Copyright 2026 The mqsentry Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Files of the syscall tests: descriptors, whole-file reads and writes of
// /proc files, directory listings and temporary directories.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_PROC_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_PROC_UTIL_H_

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

namespace mqtest {

// A closing fd.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

inline bool ReadFileString(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      errno = e;
      return false;
    }
    if (n == 0) break;
    out->append(buf, n);
  }
  close(fd);
  return true;
}

// Reads a number from a file such as /proc/sys/fs/mqueue/msg_max; on_error
// if the file cannot be read (pass a value the file cannot hold where -1 is
// one it can, e.g. for msg_next_id).
inline long ReadLongFile(const std::string& path, long on_error = -1) {
  std::string s;
  if (!ReadFileString(path, &s)) return on_error;
  return strtol(s.c_str(), nullptr, 10);
}

// Writes a number; returns 0 or the errno.
inline int WriteLongFile(const std::string& path, long v) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  std::string s = std::to_string(v) + "\n";
  ssize_t n = write(fd, s.data(), s.size());
  int e = n < 0 ? errno : (n == (ssize_t)s.size() ? 0 : EIO);
  close(fd);
  return e;
}

// Writes text to a /proc file in one write.
inline bool WriteProcFile(const char* path, const char* text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return false;
  bool ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
  close(fd);
  return ok;
}

// The names in directory path, "." and ".." left out. Unless err is null,
// sets *err to the errno of opendir or readdir (0 when the whole directory
// was read).
inline std::set<std::string> ListDir(const std::string& path, int* err = nullptr) {
  int ignored;
  if (err == nullptr) err = &ignored;
  std::set<std::string> names;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    *err = errno;
    return names;
  }
  *err = 0;
  for (;;) {
    errno = 0;
    struct dirent* de = readdir(dir);
    if (de == nullptr) {
      *err = errno;
      break;
    }
    std::string name = de->d_name;
    if (name != "." && name != "..") names.insert(name);
  }
  closedir(dir);
  return names;
}

// Makes an empty directory for a mount point and removes it at the end.
// mode 0755 lets users other than root reach it.
class TempDir {
 public:
  explicit TempDir(mode_t mode = 0700) {
    char tmpl[] = "/tmp/mqfs_test.XXXXXX";
    if (!mkdtemp(tmpl)) return;
    if (chmod(tmpl, mode) == 0) {
      path_ = tmpl;
    } else {
      rmdir(tmpl);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (!path_.empty()) rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---------------------------------------------------------------------------
// Descriptors passed over unix sockets.

// Sends fds over the connected socket sock as one SCM_RIGHTS message.
inline bool SendFds(int sock, const std::vector<int>& fds) {
  char byte = 'F';
  struct iovec iov = {&byte, 1};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  return sendmsg(sock, &msg, 0) == 1;
}

// Receives n descriptors sent by SendFds; an empty vector if none came.
inline std::vector<int> RecvFds(int sock, size_t n) {
  char byte;
  struct iovec iov = {&byte, 1};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * n));
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  if (recvmsg(sock, &msg, 0) != 1) return {};
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int) * n)) return {};
  std::vector<int> fds(n);
  memcpy(fds.data(), CMSG_DATA(cmsg), sizeof(int) * n);
  return fds;
}

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_PROC_UTIL_H_
