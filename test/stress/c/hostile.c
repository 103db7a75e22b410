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

// hostile: an unprivileged user's attempts on the IPC control surface, each
// reported with the result it got. `make stress` runs it natively and under
// bin/runsc (test/stress/run -diff): every "D" line must be the same in both,
// so each attempt gets exactly what Linux gives, and the program itself
// checks that no attempt Linux refuses succeeded (exit 1, "HOSTILE FAIL").
//
// It starts as root only to set things up (a scratch directory, a file
// mapped by root); every attempt runs in a forked child as uid 65534
// (nobody), with user namespaces of its own where it needs them, except
// where the attempt is root's descriptor used after a drop to nobody.
// Nothing outside private namespaces is changed, natively either: the
// writes that Linux allows land in the attacker's own namespaces.
//
// The attempts (README "Security model"):
//   sysctl-fd-*       a /proc/sys IPC file opened in the attacker's own
//                     user+IPC namespace, passed over SCM_RIGHTS to a process
//                     in the initial namespaces and written there while that
//                     namespace lives: Linux writes the opener's namespace
//                     only. (Once it is gone Linux's answer depends on when a
//                     work queue frees it, so that is not compared.)
//   sysctl-drop-*     root opens a sysctl for writing, drops to nobody and
//                     writes: EPERM at the write.
//   sysctl-direct     nobody opens the initial namespace's msgmni for writing.
//   sysctl-parse-*    integers as proc_dointvec parses them.
//   mount-*           mqueue mounts without and with an IPC namespace of
//                     one's own; a mount that outlived its namespace.
//   map-files-*       /proc/PID/map_files of root's process, looked up by root
//                     first, then by a user-namespace root of another uid.
//   ipcns-*           user.max_ipc_namespaces: ENOSPC past the limit.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int attempts, failures;

// report prints one attempt: a "D" line for the comparison with Linux and
// a readable line. r is the call's result, -1 with errno for a failure;
// detail says what was seen after it, and is compared too.
static void report(const char* name, long r, int err, const char* detail) {
  const char* e = r < 0 ? strerrorname_np(err) : "-";
  printf("D %d %s %ld %s %s\n", attempts++, name, r < 0 ? -1 : r, e ? e : "?", detail);
  printf("attempt %-28s %s%s%s\n", name, r < 0 ? e : "succeeded", *detail ? ": " : "", detail);
  fflush(stdout);
}

// expect_refused reports an attempt that Linux refuses; it is a failure
// if it succeeded.
static void expect_refused(const char* name, long r, int err, const char* detail) {
  report(name, r, err, detail);
  if (r >= 0) {
    printf("FAIL: %s succeeded\n", name);
    failures++;
  }
}

static void check(int cond, const char* what) {
  if (!cond) {
    printf("FAIL: %s\n", what);
    failures++;
  }
}

static void die(const char* what) {
  printf("setup failed: %s: %s\nHOSTILE FAIL\n", what, strerror(errno));
  exit(1);
}

static int write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int e = errno;
  close(fd);
  errno = e;
  return n < 0 ? -1 : (int)n;
}

static long read_long(const char* path) {
  char buf[64] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static void become_nobody(void) {
  if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
    die("dropping to nobody");
}

// As nobody: enters new namespaces (CLONE_NEWUSER among flags) as the new
// user namespace's root.
static int enter_own_userns(int flags) {
  if (unshare(CLONE_NEWUSER | flags) != 0) return -1;
  prctl(PR_SET_DUMPABLE, 1);
  if (write_file("/proc/self/setgroups", "deny") < 0 || write_file("/proc/self/uid_map", "0 65534 1") < 0 ||
      write_file("/proc/self/gid_map", "0 65534 1") < 0)
    die("mapping the user namespace");
  return 0;
}

static void send_fd(int sock, int fd) {
  char data = 'f';
  struct iovec iov = {&data, 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  if (sendmsg(sock, &msg, 0) != 1) die("sendmsg");
}

static int recv_fd(int sock) {
  char data;
  struct iovec iov = {&data, 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  if (recvmsg(sock, &msg, 0) != 1) die("recvmsg");
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) die("no descriptor received");
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

// Runs fn in a forked child and waits for it; the child's output and
// counts reach the parent through stdout and the exit status (the number
// of failures).
static void in_child(void (*fn)(void*), void* arg) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    fn(arg);
    fflush(stdout);
    _exit(failures > 0 ? 1 : 0);
  }
  int st;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failures++;
}

// The child keeps its own namespace alive while the attacker writes
// through its descriptor, then reports what its namespace holds.
static void sysctl_fd_attack(void* arg) {
  const char* file = arg;
  char path[128], name[64];
  snprintf(path, sizeof(path), "/proc/sys/%s", file);
  snprintf(name, sizeof(name), "sysctl-fd-%s", strrchr(file, '/') + 1);
  become_nobody();
  long before = read_long(path);
  int sv[2], done[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(done)) die("socketpair");
  pid_t pid = fork();
  if (pid == 0) {
    if (enter_own_userns(CLONE_NEWIPC) != 0) _exit(2);
    int fd = open(path, O_RDWR);
    if (fd < 0) die("opening the sysctl in the own namespace");
    send_fd(sv[1], fd);
    char c;
    if (read(done[0], &c, 1) != 1) _exit(1);
    printf("  own namespace's %s now %ld\n", file, read_long(path));
    fflush(stdout);
    _exit(0);
  }
  int fd = recv_fd(sv[0]);
  long r = write(fd, "17\n", 3);
  int err = errno;
  char detail[128];
  long after = read_long(path);
  snprintf(detail, sizeof(detail), "initial namespace's value %s", after == before ? "unchanged" : "CHANGED");
  report(name, r, err, detail);
  check(after == before, "a descriptor from another IPC namespace changed the initial namespace");
  if (write(done[1], "x", 1) != 1) die("handshake");
  waitpid(pid, NULL, 0);
}

// Root opens the file for writing in an IPC namespace of its own, then
// drops to nobody and writes the value it holds.
static void sysctl_drop_attack(void* arg) {
  const char* file = arg;
  char path[128], name[64], value[32];
  snprintf(path, sizeof(path), "/proc/sys/%s", file);
  snprintf(name, sizeof(name), "sysctl-drop-%s", strrchr(file, '/') + 1);
  if (unshare(CLONE_NEWIPC) != 0) die("unshare(CLONE_NEWIPC) as root");
  snprintf(value, sizeof(value), "%ld\n", read_long(path));
  int fd = open(path, O_WRONLY);
  if (fd < 0) die("root opening a sysctl for writing");
  become_nobody();
  long r = write(fd, value, strlen(value));
  expect_refused(name, r, errno, "root's descriptor, written by nobody");
}

static void sysctl_direct_attack(void* arg) {
  (void)arg;
  become_nobody();
  long r = open("/proc/sys/kernel/msgmni", O_WRONLY);
  expect_refused("sysctl-direct-msgmni", r, errno, "the initial namespace's file");
  r = open("/proc/sys/fs/mqueue/queues_max", O_WRONLY);
  expect_refused("sysctl-direct-queues_max", r, errno, "the initial namespace's file");
}

static void sysctl_parse_attack(void* arg) {
  (void)arg;
  static const struct {
    const char* file;
    const char* text;
  } cases[] = {
      {"kernel/msgmni", "010"},       {"kernel/msgmni", "0x64"},    {"kernel/msgmni", " \t\r\v 12\n"},
      {"kernel/msgmni", "+100"},      {"kernel/msgmni", ""},          {"kernel/msgmni", "5 6"},
      {"kernel/msgmni", "00000000000000000000042"}, {"kernel/msgmni", "-1"}, {"kernel/msgmax", "2147483648"},
      {"fs/mqueue/queues_max", "-1"}, {"fs/mqueue/msg_max", "0"},     {"fs/mqueue/msgsize_max", "127"},
  };
  become_nobody();
  if (enter_own_userns(CLONE_NEWIPC) != 0) die("user namespaces");
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char path[128], name[64], detail[96];
    snprintf(path, sizeof(path), "/proc/sys/%s", cases[i].file);
    snprintf(name, sizeof(name), "sysctl-parse-%zu", i);
    long r = write_file(path, cases[i].text);
    int err = errno;
    char shown[64] = {0};
    for (size_t j = 0, k = 0; cases[i].text[j] && k + 3 < sizeof(shown); j++) {
      char c = cases[i].text[j];
      if (c >= ' ' && c <= '~') {
        shown[k++] = c;
      } else {
        shown[k++] = '\\';
        shown[k++] = c == '\t' ? 't' : c == '\r' ? 'r' : c == '\v' ? 'v' : 'n';
      }
    }
    snprintf(detail, sizeof(detail), "%s <- \"%s\": reads %ld", cases[i].file, shown, read_long(path));
    report(name, r, err, detail);
  }
}

static const char* scratch;

static void mount_attack(void* arg) {
  (void)arg;
  become_nobody();
  if (enter_own_userns(CLONE_NEWNS) != 0) die("user namespaces");
  mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  long r = mount("none", scratch, "mqueue", 0, NULL);
  expect_refused("mount-initial-ipcns", r, errno, "no IPC namespace of its own");
  if (r == 0) umount(scratch);
  // With an IPC namespace of its own the mount is Linux's to allow; it is
  // left in a grandchild, whose namespace then goes.
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWIPC) != 0) _exit(1);
    long r = mount("none", scratch, "mqueue", 0, NULL);
    report("mount-own-ipcns", r, errno, "");
    struct mq_attr a = {.mq_maxmsg = 1, .mq_msgsize = 8};
    mqd_t q = mq_open("/kept", O_RDWR | O_CREAT, 0600, &a);
    report("mount-own-ipcns-queue", q < 0 ? -1 : 0, errno, "");
    fflush(stdout);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  char path[256];
  snprintf(path, sizeof(path), "%s/new", scratch);
  r = creat(path, 0600);
  expect_refused("mount-dead-ipcns-creat", r, errno, "the namespace behind the mount is gone");
  r = umount(scratch);
  report("mount-dead-ipcns-umount", r, errno, "");
}

static char map_entry[128];

static void map_files_attack(void* arg) {
  (void)arg;
  struct stat sb;
  become_nobody();
  long r = lstat(map_entry, &sb);
  expect_refused("map-files-nobody", r, errno, "root's entry, looked up by root before");
  if (enter_own_userns(0) != 0) die("user namespaces");
  r = lstat(map_entry, &sb);
  expect_refused("map-files-userns-root", r, errno, "as root of a user namespace");
  char target[256];
  r = readlink(map_entry, target, sizeof(target));
  expect_refused("map-files-userns-readlink", r, errno, "");
}

static void ipcns_attack(void* arg) {
  (void)arg;
  become_nobody();
  if (enter_own_userns(0) != 0) die("user namespaces");
  long r = write_file("/proc/sys/user/max_ipc_namespaces", "3");
  report("ipcns-set-limit", r, errno, "own user namespace's max_ipc_namespaces = 3");
  int made = 0;
  for (int i = 0; i < 10; i++) {
    int keep = open("/proc/self/ns/ipc", O_RDONLY);
    if (unshare(CLONE_NEWIPC) != 0) {
      char detail[64];
      snprintf(detail, sizeof(detail), "after %d namespaces", made);
      expect_refused("ipcns-past-limit", -1, errno, detail);
      check(made == 3, "the limit was not 3 namespaces");
      return;
    }
    (void)keep;  // parked: keeps the previous namespace alive
    made++;
  }
  expect_refused("ipcns-past-limit", 0, 0, "10 namespaces made");
}

int main(void) {
  if (geteuid() != 0) {
    printf("needs root to set up\nHOSTILE FAIL\n");
    return 1;
  }
  char dir[] = "/tmp/hostile.XXXXXX";
  if (!mkdtemp(dir) || chmod(dir, 0777)) die("scratch directory");
  scratch = dir;

  static const char* sysctls[] = {"kernel/msgmni", "kernel/msgmax", "kernel/msgmnb", "kernel/msg_next_id",
                                  "fs/mqueue/msg_max", "fs/mqueue/msgsize_max", "fs/mqueue/queues_max",
                                  "fs/mqueue/msg_default", "fs/mqueue/msgsize_default"};
  for (size_t i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) in_child(sysctl_fd_attack, (void*)sysctls[i]);
  in_child(sysctl_drop_attack, "kernel/msgmni");
  in_child(sysctl_drop_attack, "fs/mqueue/queues_max");
  in_child(sysctl_drop_attack, "kernel/threads-max");
  in_child(sysctl_direct_attack, NULL);
  in_child(sysctl_parse_attack, NULL);
  in_child(mount_attack, NULL);

  // A file root maps, and whose map_files entry root looks up first.
  char file[256];
  snprintf(file, sizeof(file), "%s/mapped", dir);
  int fd = open(file, O_RDWR | O_CREAT, 0600);
  if (fd < 0 || ftruncate(fd, 4096)) die("mapped file");
  char* m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) die("mmap");
  snprintf(map_entry, sizeof(map_entry), "/proc/%d/map_files/%lx-%lx", getpid(), (unsigned long)m,
           (unsigned long)m + 4096);
  struct stat sb;
  if (lstat(map_entry, &sb)) die("root's own map_files entry");
  in_child(map_files_attack, NULL);
  munmap(m, 4096);
  close(fd);
  unlink(file);

  in_child(ipcns_attack, NULL);
  rmdir(dir);

  printf("HOSTILE %s\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}
