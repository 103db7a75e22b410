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
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"
)

// formatVersion is the "format" value of the files this version writes and
// reads.
const formatVersion = "mqdump/1"

// Dump is the file (see doc.go).
type Dump struct {
	Format string       `json:"format"`
	POSIX  []POSIXQueue `json:"posix"`
	SysV   []SysVQueue  `json:"sysv"`
}

// POSIXQueue is one POSIX queue.
type POSIXQueue struct {
	Name       string         `json:"name,omitempty"`
	NameBase64 string         `json:"name_base64,omitempty"`
	Mode       string         `json:"mode"`
	UID        uint32         `json:"uid"`
	GID        uint32         `json:"gid"`
	MaxMsg     int64          `json:"maxmsg"`
	MsgSize    int64          `json:"msgsize"`
	CurMsgs    int64          `json:"curmsgs"`
	Messages   []POSIXMessage `json:"messages"`
}

// POSIXMessage is one POSIX message.
type POSIXMessage struct {
	Priority uint32 `json:"priority"`
	Data     string `json:"data"`
}

// SysVQueue is one System V queue.
type SysVQueue struct {
	ID       int32         `json:"id"`
	Key      int32         `json:"key"`
	Mode     string        `json:"mode"`
	UID      uint32        `json:"uid"`
	GID      uint32        `json:"gid"`
	QBytes   uint64        `json:"qbytes"`
	QNum     uint64        `json:"qnum"`
	Messages []SysVMessage `json:"messages"`
}

// SysVMessage is one System V message.
type SysVMessage struct {
	Type int64  `json:"type"`
	Data string `json:"data"`
}

func encodeName(name string) (plain, b64 string) {
	if utf8.ValidString(name) {
		return name, ""
	}
	return "", base64.StdEncoding.EncodeToString([]byte(name))
}

// RawName returns the queue's name as given to mq_open.
func (q *POSIXQueue) RawName() (string, error) {
	switch {
	case q.Name != "" && q.NameBase64 == "":
		return q.Name, nil
	case q.Name == "" && q.NameBase64 != "":
		b, err := base64.StdEncoding.DecodeString(q.NameBase64)
		if err != nil {
			return "", fmt.Errorf("name_base64 %q: %v", q.NameBase64, err)
		}
		return string(b), nil
	default:
		return "", fmt.Errorf("a POSIX queue needs exactly one of name and name_base64")
	}
}

func formatMode(m uint32) string { return fmt.Sprintf("%04o", m) }

func parseMode(s string, mask uint32) (uint32, error) {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || uint32(v)&^mask != 0 {
		return 0, fmt.Errorf("bad mode %q (want an octal string within %04o)", s, mask)
	}
	return uint32(v), nil
}

// normalize sorts the queues into file order and replaces nil slices with
// empty ones, so the encoding is deterministic.
func (d *Dump) normalize() {
	if d.POSIX == nil {
		d.POSIX = []POSIXQueue{}
	}
	if d.SysV == nil {
		d.SysV = []SysVQueue{}
	}
	for i := range d.POSIX {
		if d.POSIX[i].Messages == nil {
			d.POSIX[i].Messages = []POSIXMessage{}
		}
	}
	for i := range d.SysV {
		if d.SysV[i].Messages == nil {
			d.SysV[i].Messages = []SysVMessage{}
		}
	}
	sort.Slice(d.POSIX, func(i, j int) bool {
		a, _ := d.POSIX[i].RawName()
		b, _ := d.POSIX[j].RawName()
		return a < b
	})
	sort.Slice(d.SysV, func(i, j int) bool { return d.SysV[i].ID < d.SysV[j].ID })
}

// Encode returns the file's bytes.
func (d *Dump) Encode() ([]byte, error) {
	d.Format = formatVersion
	d.normalize()
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// decodeDump parses and validates a file.
func decodeDump(r io.Reader) (*Dump, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Dump
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("parsing dump: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("parsing dump: trailing data after the JSON object")
	}
	if d.Format != formatVersion {
		return nil, fmt.Errorf("dump format is %q, want %q", d.Format, formatVersion)
	}
	names := map[string]bool{}
	for i := range d.POSIX {
		q := &d.POSIX[i]
		name, err := q.RawName()
		if err != nil {
			return nil, fmt.Errorf("posix[%d]: %v", i, err)
		}
		if names[name] {
			return nil, fmt.Errorf("posix[%d]: duplicate name %q", i, name)
		}
		names[name] = true
		if _, err := parseMode(q.Mode, 0o7777); err != nil {
			return nil, fmt.Errorf("posix queue %q: %v", name, err)
		}
		if q.MaxMsg <= 0 || q.MsgSize <= 0 {
			return nil, fmt.Errorf("posix queue %q: maxmsg and msgsize must be positive", name)
		}
		if q.CurMsgs != int64(len(q.Messages)) || q.CurMsgs > q.MaxMsg {
			return nil, fmt.Errorf("posix queue %q: curmsgs %d, but %d messages (maxmsg %d)", name, q.CurMsgs, len(q.Messages), q.MaxMsg)
		}
		for j, m := range q.Messages {
			b, err := base64.StdEncoding.DecodeString(m.Data)
			if err != nil {
				return nil, fmt.Errorf("posix queue %q message %d: %v", name, j, err)
			}
			if int64(len(b)) > q.MsgSize {
				return nil, fmt.Errorf("posix queue %q message %d: %d bytes, above msgsize %d", name, j, len(b), q.MsgSize)
			}
		}
	}
	ids, keys := map[int32]bool{}, map[int32]bool{}
	for i := range d.SysV {
		q := &d.SysV[i]
		if q.ID < 0 || ids[q.ID] {
			return nil, fmt.Errorf("sysv[%d]: bad or duplicate id %d", i, q.ID)
		}
		ids[q.ID] = true
		if q.Key != 0 {
			if keys[q.Key] {
				return nil, fmt.Errorf("sysv[%d]: duplicate key %d", i, q.Key)
			}
			keys[q.Key] = true
		}
		if _, err := parseMode(q.Mode, 0o777); err != nil {
			return nil, fmt.Errorf("sysv queue %d: %v", q.ID, err)
		}
		if q.QNum != uint64(len(q.Messages)) {
			return nil, fmt.Errorf("sysv queue %d: qnum %d, but %d messages", q.ID, q.QNum, len(q.Messages))
		}
		for j, m := range q.Messages {
			if m.Type < 1 {
				return nil, fmt.Errorf("sysv queue %d message %d: type %d < 1", q.ID, j, m.Type)
			}
			if _, err := base64.StdEncoding.DecodeString(m.Data); err != nil {
				return nil, fmt.Errorf("sysv queue %d message %d: %v", q.ID, j, err)
			}
		}
	}
	return &d, nil
}
