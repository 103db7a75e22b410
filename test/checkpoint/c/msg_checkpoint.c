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

// SysV message queues across runsc checkpoint/restore (test/checkpoint
// protocol: print READY, wait for SIGUSR1, check, print OK and exit 0).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t go;
static void on_usr1(int s) { (void)s; go = 1; }
static int failures;
#define CHECK(c, ...) do { if (!(c)) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); failures++; } } while (0)

static int write_proc(const char* p, long v) {
  int fd = open(p, O_WRONLY);
  if (fd < 0) return -1;
  char b[32]; int n = snprintf(b, sizeof b, "%ld\n", v);
  int r = write(fd, b, n) == n ? 0 : -1;
  close(fd);
  return r;
}
static long read_proc(const char* p) {
  char b[64] = {0}; int fd = open(p, O_RDONLY);
  if (fd < 0) return -12345;
  if (read(fd, b, sizeof b - 1) < 0) b[0] = 0;
  close(fd);
  return strtol(b, NULL, 10);
}
struct msg { long type; char text[64]; };
static void send_or_die(int id, long type, const char* text) {
  struct msg m = {type, {0}}; strcpy(m.text, text);
  if (msgsnd(id, &m, strlen(text), IPC_NOWAIT) != 0) { perror("msgsnd"); exit(1); }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGUSR1, on_usr1);
  const int kNextA = 3 * 32768 + 13, kNextB = 5 * 32768 + 20;
  CHECK(write_proc("/proc/sys/kernel/msgmax", 5000) == 0, "write msgmax: %s", strerror(errno));
  CHECK(write_proc("/proc/sys/kernel/msgmnb", 3000) == 0, "write msgmnb: %s", strerror(errno));
  int have_next_id = write_proc("/proc/sys/kernel/msg_next_id", kNextA) == 0;
  int a = msgget(0x5151, IPC_CREAT | IPC_EXCL | 0640);
  int b = msgget(IPC_PRIVATE, 0600);
  if (a < 0 || b < 0) { perror("msgget"); return 1; }
  if (have_next_id) CHECK(a == kNextA, "id %d, want %d", a, kNextA);
  struct msqid_ds ds;
  msgctl(a, IPC_STAT, &ds);
  ds.msg_perm.uid = 1234; ds.msg_perm.gid = 5678; ds.msg_perm.mode = 0660; ds.msg_qbytes = 4321;
  CHECK(msgctl(a, IPC_SET, &ds) == 0, "IPC_SET: %s", strerror(errno));
  const char* texts[] = {"three", "one-a", "two", "one-b"};
  long types[] = {3, 1, 2, 1};
  for (int i = 0; i < 4; i++) send_or_die(a, types[i], texts[i]);
  for (int i = 0; i < 200; i++) { char t[16]; snprintf(t, sizeof t, "m%d", i); send_or_die(b, 1 + i % 5, t); }
  struct msg m;
  CHECK(msgrcv(a, &m, sizeof m.text, 2, IPC_NOWAIT) == 3, "msgrcv type 2");
  pid_t child = fork();
  if (child == 0) {  // blocked across the checkpoint; the call restarts
    struct msg c;
    ssize_t n = msgrcv(a, &c, sizeof c.text, 99, 0);
    _exit(n == 4 && c.type == 99 && memcmp(c.text, "late", 4) == 0 ? 0 : 1);
  }
  usleep(100000);
  if (have_next_id) write_proc("/proc/sys/kernel/msg_next_id", kNextB);
  struct msqid_ds before_a, before_b;
  msgctl(a, IPC_STAT, &before_a);
  msgctl(b, IPC_STAT, &before_b);
  printf("READY\n");
  while (!go) pause();

  struct msqid_ds after;
  CHECK(msgctl(a, IPC_STAT, &after) == 0, "IPC_STAT a: %s", strerror(errno));
  CHECK(memcmp(&after, &before_a, sizeof after) == 0, "queue a's msqid_ds changed");
  CHECK(after.msg_perm.uid == 1234 && after.msg_perm.gid == 5678 && after.msg_perm.mode == 0660 &&
        after.msg_qbytes == 4321 && after.msg_qnum == 3, "queue a: uid %u gid %u mode %o qbytes %lu qnum %lu",
        after.msg_perm.uid, after.msg_perm.gid, after.msg_perm.mode, after.msg_qbytes, after.msg_qnum);
  CHECK(msgctl(b, IPC_STAT, &after) == 0 && memcmp(&after, &before_b, sizeof after) == 0, "queue b's msqid_ds changed");
  CHECK(msgget(0x5151, 0) == a, "key lookup after restore");
  CHECK(read_proc("/proc/sys/kernel/msgmax") == 5000, "msgmax %ld", read_proc("/proc/sys/kernel/msgmax"));
  CHECK(read_proc("/proc/sys/kernel/msgmnb") == 3000, "msgmnb %ld", read_proc("/proc/sys/kernel/msgmnb"));
  if (have_next_id) {
    CHECK(read_proc("/proc/sys/kernel/msg_next_id") == kNextB, "msg_next_id %ld", read_proc("/proc/sys/kernel/msg_next_id"));
    int c = msgget(IPC_PRIVATE, 0600);
    CHECK(c == kNextB, "new id %d, want %d", c, kNextB);
    msgctl(c, IPC_RMID, NULL);
  }
  send_or_die(a, 99, "late");
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "blocked receiver did not get its message after restore");
  const char* want_a[] = {"three", "one-a", "one-b"};
  for (int i = 0; i < 3; i++) {
    ssize_t n = msgrcv(a, &m, sizeof m.text, 0, IPC_NOWAIT);
    CHECK(n >= 0 && (size_t)n == strlen(want_a[i]) && memcmp(m.text, want_a[i], n) == 0, "queue a message %d", i);
  }
  // Queue b by type: FIFO within each type.
  for (int t = 1; t <= 5; t++) {
    for (int i = t - 1; i < 200; i += 5) {
      char want[16]; snprintf(want, sizeof want, "m%d", i);
      ssize_t n = msgrcv(b, &m, sizeof m.text, t, IPC_NOWAIT);
      CHECK(n >= 0 && (size_t)n == strlen(want) && memcmp(m.text, want, n) == 0, "queue b type %d message %d", t, i);
    }
  }
  CHECK(msgrcv(b, &m, sizeof m.text, 0, IPC_NOWAIT) < 0 && errno == ENOMSG, "queue b not empty");
  msgctl(a, IPC_RMID, NULL);
  msgctl(b, IPC_RMID, NULL);
  if (failures) return 1;
  printf("OK\n");
  return 0;
}
