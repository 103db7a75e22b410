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

// mqe2e: the static program test/e2e/run.sh puts in a container image to show
// POSIX and System V message queues working inside a container run by
// mqsentry's runsc (through podman or containerd). One binary, subcommands:
//
//   mqe2e pair N      creates the queues, then forks and execs a consumer
//                     ("consume N", which blocks on the empty queues first) and
//                     a producer ("produce N"); waits for both; unlinks
//   mqe2e produce N   sends N POSIX messages (priorities 1..3) to /mqe2e and
//                     N SysV messages (types 1..N) to key 0x0e2e0001,
//                     creating the queues if needed
//   mqe2e consume N   receives N messages from each queue (blocking) and
//                     prints every message with its priority/type
//   mqe2e ls DIR      checks that DIR (default /dev/mqueue) is an mqueue
//                     filesystem (the runtime's mount) and lists its files
//                     with their status lines
//   mqe2e hold        sleeps until SIGTERM/SIGINT (keeps a container running)
//   mqe2e unlink      removes both queues
//   mqe2e sysctl      prints the IPC namespace's limits: kernel.msgmax,
//                     msgmnb, msgmni and fs.mqueue.* from /proc/sys
//   mqe2e qbytes      creates a private SysV queue, prints its msg_qbytes
//                     (kernel.msgmnb when it was made), removes it
//   mqe2e mqopen M    prints uid and whether CAP_SYS_RESOURCE is effective,
//                     then creates a POSIX queue with mq_maxmsg M (which
//                     needs M <= fs.mqueue.msg_max without that capability),
//                     prints its attributes and unlinks it
//   mqe2e absent      succeeds when neither /mqe2e nor SysV key 0x0e2e0001
//                     exists in this IPC namespace
//
// Every line printed starts with the role and pid, so the output shows which
// process sent and which received each message. Exit status 0 on success,
// 1 with "error: CALL: ..." on standard error on any failure.
//
// Build: gcc -O2 -Wall -static -o mqe2e mqe2e.c -lrt

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define POSIX_NAME "/mqe2e"
#define SYSV_KEY 0x0e2e0001
#define MSGSIZE 128
#define MAXMSG 10
#define MQUEUE_MAGIC 0x19800202

struct sysv_msg {
  long mtype;
  char mtext[MSGSIZE];
};

static const char *role = "main";

static void die(const char *what) {
  int e = errno;
  fflush(stdout);
  fprintf(stderr, "%s[%d] error: %s: %s (errno %d)\n", role, getpid(), what, strerror(e), e);
  exit(1);
}

static mqd_t open_posix(int flags) {
  struct mq_attr attr = {.mq_maxmsg = MAXMSG, .mq_msgsize = MSGSIZE};
  mqd_t q = mq_open(POSIX_NAME, flags | O_CREAT, 0644, &attr);
  if (q == (mqd_t)-1) die("mq_open " POSIX_NAME);
  return q;
}

static int open_sysv(void) {
  int id = msgget(SYSV_KEY, IPC_CREAT | 0644);
  if (id < 0) die("msgget");
  return id;
}

static int produce(int n) {
  role = "producer";
  mqd_t q = open_posix(O_WRONLY);
  int id = open_sysv();
  for (int i = 1; i <= n; i++) {
    char buf[MSGSIZE];
    unsigned prio = 1 + (i - 1) % 3;
    snprintf(buf, sizeof buf, "posix #%d from producer pid %d", i, getpid());
    if (mq_send(q, buf, strlen(buf) + 1, prio) < 0) die("mq_send");
    printf("producer[%d] mq_send  prio %u: %s\n", getpid(), prio, buf);
    struct sysv_msg m = {.mtype = i};
    snprintf(m.mtext, sizeof m.mtext, "sysv #%d from producer pid %d", i, getpid());
    if (msgsnd(id, &m, strlen(m.mtext) + 1, 0) < 0) die("msgsnd");
    printf("producer[%d] msgsnd   type %ld: %s\n", getpid(), m.mtype, m.mtext);
    fflush(stdout);
  }
  mq_close(q);
  return 0;
}

static int consume(int n) {
  role = "consumer";
  mqd_t q = open_posix(O_RDONLY);
  int id = open_sysv();
  for (int i = 0; i < n; i++) {
    char buf[MSGSIZE + 1];
    unsigned prio;
    ssize_t len = mq_receive(q, buf, MSGSIZE, &prio);
    if (len < 0) die("mq_receive");
    buf[len] = 0;
    printf("consumer[%d] received posix prio %u: %s\n", getpid(), prio, buf);
    fflush(stdout);
  }
  for (int i = 0; i < n; i++) {
    struct sysv_msg m;
    ssize_t len = msgrcv(id, &m, MSGSIZE, 0, 0);
    if (len < 0) die("msgrcv");
    m.mtext[len < MSGSIZE ? len : MSGSIZE - 1] = 0;
    printf("consumer[%d] received sysv type %ld: %s\n", getpid(), m.mtype, m.mtext);
    fflush(stdout);
  }
  mq_close(q);
  return 0;
}

static int unlink_queues(void) {
  if (mq_unlink(POSIX_NAME) < 0 && errno != ENOENT) die("mq_unlink");
  int id = msgget(SYSV_KEY, 0);
  if (id >= 0 && msgctl(id, IPC_RMID, NULL) < 0) die("msgctl IPC_RMID");
  printf("%s[%d] removed queue %s and SysV key 0x%08x\n", role, getpid(), POSIX_NAME, SYSV_KEY);
  return 0;
}

static pid_t spawn(const char *self, const char *cmd, const char *n) {
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    execl(self, self, cmd, n, (char *)NULL);
    die("execl");
  }
  return pid;
}

static int wait_ok(pid_t pid, const char *what) {
  int st;
  if (waitpid(pid, &st, 0) < 0) die("waitpid");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "main[%d] %s (pid %d) failed: status 0x%x\n", getpid(), what, pid, st);
    return 1;
  }
  return 0;
}

static int pair(const char *self, const char *n) {
  role = "pair";
  mq_close(open_posix(O_RDONLY));
  open_sysv();
  printf("pair[%d] created %s and SysV key 0x%08x; starting consumer, then producer\n",
         getpid(), POSIX_NAME, SYSV_KEY);
  fflush(stdout);
  pid_t c = spawn(self, "consume", n);
  usleep(200 * 1000);  // the consumer blocks on the empty queue first
  pid_t p = spawn(self, "produce", n);
  int bad = wait_ok(p, "producer") + wait_ok(c, "consumer");
  unlink_queues();
  return bad ? 1 : 0;
}

static int ls(const char *dir) {
  role = "ls";
  struct statfs sf;
  if (statfs(dir, &sf) < 0) die("statfs");
  if ((unsigned long)sf.f_type != MQUEUE_MAGIC) {
    fprintf(stderr, "ls[%d] error: %s is not an mqueue filesystem (type 0x%lx): the runtime did not mount it\n",
            getpid(), dir, (unsigned long)sf.f_type);
    return 1;
  }
  printf("ls[%d] %s is an mqueue filesystem (provided by the runtime)\n", getpid(), dir);
  DIR *d = opendir(dir);
  if (!d) die("opendir");
  struct dirent *e;
  int count = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[4096], line[512] = "";
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) die("open queue file");
    ssize_t len = read(fd, line, sizeof line - 1);
    if (len < 0) die("read queue file");
    line[len] = 0;
    if (len > 0 && line[len - 1] == '\n') line[len - 1] = 0;
    close(fd);
    printf("ls[%d] %s: %s\n", getpid(), path, line);
    count++;
  }
  closedir(d);
  printf("ls[%d] %d queue(s) in %s\n", getpid(), count, dir);
  return 0;
}

static const char *const sysctls[] = {
    "kernel.msgmax",      "kernel.msgmnb",          "kernel.msgmni",
    "fs.mqueue.msg_max",  "fs.mqueue.msgsize_max",  "fs.mqueue.msg_default",
    "fs.mqueue.msgsize_default", "fs.mqueue.queues_max",
};

static int print_sysctls(void) {
  role = "sysctl";
  for (size_t i = 0; i < sizeof sysctls / sizeof *sysctls; i++) {
    char path[128] = "/proc/sys/", val[64] = "";
    size_t n = strlen(path);
    for (const char *c = sysctls[i]; *c && n < sizeof path - 1; c++) path[n++] = *c == '.' ? '/' : *c;
    path[n] = 0;
    FILE *f = fopen(path, "r");
    if (!f) die(path);
    if (!fgets(val, sizeof val, f)) die(path);
    fclose(f);
    val[strcspn(val, "\n")] = 0;
    printf("sysctl[%d] %s = %s\n", getpid(), sysctls[i], val);
  }
  return 0;
}

static int qbytes(void) {
  role = "qbytes";
  int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (id < 0) die("msgget IPC_PRIVATE");
  struct msqid_ds ds;
  if (msgctl(id, IPC_STAT, &ds) < 0) die("msgctl IPC_STAT");
  printf("qbytes[%d] new SysV queue id %d: msg_qbytes %lu\n", getpid(), id,
         (unsigned long)ds.msg_qbytes);
  if (msgctl(id, IPC_RMID, NULL) < 0) die("msgctl IPC_RMID");
  return 0;
}

// has_cap: whether capability bit `cap` is in this process's effective set.
static int has_cap(int cap) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) die("/proc/self/status");
  char line[256];
  unsigned long long eff = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "CapEff: %llx", &eff) == 1) break;
  fclose(f);
  return (eff >> cap) & 1;
}

static int mqopen(long maxmsg) {
  role = "mqopen";
  const char *name = "/mqe2e-maxmsg";
  char who[64], what[128];
  snprintf(who, sizeof who, "uid %d, CAP_SYS_RESOURCE %s", getuid(),
           has_cap(24) ? "effective" : "not effective");
  printf("mqopen[%d] %s; mq_open %s with mq_maxmsg %ld\n", getpid(), who, name, maxmsg);
  mq_unlink(name);
  struct mq_attr attr = {.mq_maxmsg = maxmsg, .mq_msgsize = MSGSIZE};
  snprintf(what, sizeof what, "%s: mq_open mq_maxmsg %ld", who, maxmsg);
  mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
  if (q == (mqd_t)-1) die(what);
  if (mq_getattr(q, &attr) < 0) die("mq_getattr");
  printf("mqopen[%d] created %s: mq_maxmsg %ld, mq_msgsize %ld\n", getpid(), name, attr.mq_maxmsg,
         attr.mq_msgsize);
  mq_close(q);
  if (mq_unlink(name) < 0) die("mq_unlink");
  return 0;
}

static int absent(void) {
  role = "absent";
  if (mq_open(POSIX_NAME, O_RDONLY) != (mqd_t)-1 || errno != ENOENT) {
    fprintf(stderr, "absent[%d] error: %s exists in this IPC namespace\n", getpid(), POSIX_NAME);
    return 1;
  }
  if (msgget(SYSV_KEY, 0) >= 0 || errno != ENOENT) {
    fprintf(stderr, "absent[%d] error: SysV key 0x%08x exists in this IPC namespace\n", getpid(), SYSV_KEY);
    return 1;
  }
  printf("absent[%d] no %s and no SysV key 0x%08x here (ENOENT)\n", getpid(), POSIX_NAME, SYSV_KEY);
  return 0;
}

static void on_term(int sig) { _exit(0); }

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) goto usage;
  const char *cmd = argv[1];
  const char *arg = argc > 2 ? argv[2] : "3";
  if (!strcmp(cmd, "produce")) return produce(atoi(arg));
  if (!strcmp(cmd, "consume")) return consume(atoi(arg));
  if (!strcmp(cmd, "pair")) return pair(argv[0], arg);
  if (!strcmp(cmd, "ls")) return ls(argc > 2 ? argv[2] : "/dev/mqueue");
  if (!strcmp(cmd, "unlink")) return unlink_queues();
  if (!strcmp(cmd, "sysctl")) return print_sysctls();
  if (!strcmp(cmd, "qbytes")) return qbytes();
  if (!strcmp(cmd, "mqopen")) return mqopen(atol(arg));
  if (!strcmp(cmd, "absent")) return absent();
  if (!strcmp(cmd, "hold")) {
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    printf("hold[%d] waiting\n", getpid());
    for (;;) pause();
  }
usage:
  fprintf(stderr, "usage: mqe2e pair|produce|consume N | ls [DIR] | hold | unlink | sysctl | qbytes |"
                  " mqopen MAXMSG | absent\n");
  return 2;
}
