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

package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"

	"golang.org/x/sys/unix"
)

const usage = `usage:
  mqdump list    [-mqueue DIR]
  mqdump dump    [-mqueue DIR] FILE    (FILE "-" is stdout)
  mqdump restore FILE                  (FILE "-" is stdin)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "list":
		err = cmdList(args)
	case "dump":
		err = cmdDump(args)
	case "restore":
		err = cmdRestore(args)
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "mqdump: unknown command %q\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mqdump %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func parseFlags(name string, args []string, nargs int) (mqDir string, rest []string) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	if name != "restore" {
		fs.StringVar(&mqDir, "mqueue", "", "directory where the namespace's mqueue filesystem is mounted")
	}
	fs.Parse(args)
	if fs.NArg() != nargs {
		fs.Usage()
		os.Exit(2)
	}
	return mqDir, fs.Args()
}

func cmdList(args []string) error {
	mqDir, _ := parseFlags("list", args, 0)
	names, where, err := posixNames(mqDir)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "POSIX message queues (%s): %d\n", where, len(names))
	if len(names) > 0 {
		fmt.Fprintln(w, "MAXMSG\tMSGSIZE\tCURMSGS\tMODE\tUID\tGID\tNAME")
	}
	for _, name := range names {
		info, fd, err := statPOSIX(name)
		if err != nil {
			if errnoIs(err, unix.ENOENT) {
				continue
			}
			return err
		}
		unix.Close(fd)
		fmt.Fprintf(w, "%d\t%d\t%d\t%04o\t%d\t%d\t%q\n", info.attr.Maxmsg, info.attr.Msgsize, info.attr.Curmsgs, info.mode, info.uid, info.gid, name)
	}
	infos, err := listSysV()
	if err != nil {
		return err
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].id < infos[j].id })
	fmt.Fprintf(w, "SysV message queues: %d\n", len(infos))
	if len(infos) > 0 {
		fmt.Fprintln(w, "ID\tKEY\tMODE\tUID\tGID\tQBYTES\tQNUM")
	}
	for _, in := range infos {
		p := in.ds.Perm
		fmt.Fprintf(w, "%d\t0x%08x\t%04o\t%d\t%d\t%d\t%d\n", in.id, uint32(p.Key), p.Mode&0o777, p.Uid, p.Gid, in.ds.Qbytes, in.ds.Qnum)
	}
	return w.Flush()
}

func cmdDump(args []string) error {
	mqDir, rest := parseFlags("dump", args, 1)
	var d Dump
	var err error
	if d.POSIX, err = dumpPOSIX(mqDir); err != nil {
		return err
	}
	if d.SysV, err = dumpSysV(); err != nil {
		return err
	}
	data, err := d.Encode()
	if err != nil {
		return err
	}
	if rest[0] == "-" {
		_, err = os.Stdout.Write(data)
		return err
	}
	return writeFileAtomic(rest[0], data)
}

// writeFileAtomic writes data to a temporary file next to path and renames it
// into place, so FILE is either the whole dump or untouched.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".mqdump-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func cmdRestore(args []string) error {
	_, rest := parseFlags("restore", args, 1)
	var r io.Reader = os.Stdin
	if rest[0] != "-" {
		f, err := os.Open(rest[0])
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	d, err := decodeDump(r)
	if err != nil {
		return err
	}
	d.normalize()
	if len(d.SysV) > 0 {
		if err := checkMsgNextID(); err != nil {
			return err
		}
	}
	if err := checkPOSIXAbsent(d.POSIX); err != nil {
		return err
	}
	if err := checkSysVAbsent(d.SysV); err != nil {
		return err
	}
	// Queues are charged to the restoring user; lift the limit if allowed.
	inf := unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
	if unix.Setrlimit(unix.RLIMIT_MSGQUEUE, &inf) != nil {
		var cur unix.Rlimit
		if unix.Getrlimit(unix.RLIMIT_MSGQUEUE, &cur) == nil {
			cur.Cur = cur.Max
			_ = unix.Setrlimit(unix.RLIMIT_MSGQUEUE, &cur)
		}
	}
	old := unix.Umask(0)
	defer unix.Umask(old)
	for i := range d.POSIX {
		if err := restorePOSIX(&d.POSIX[i]); err != nil {
			return err
		}
	}
	for i := range d.SysV {
		if err := restoreSysV(&d.SysV[i]); err != nil {
			return err
		}
	}
	return nil
}
