package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"
)

// The network targets are compared with the raw loopback TCP they run
// on, measured in the same run: a Go sender and receiver over 127.0.0.1
// in this process, once per round before the round's workloads.
//
//   - tcp-stream: SeqSize bytes written in Block writes and read into a
//     Block buffer, one connection: the bandwidth ceiling (MiB/s).
//   - tcp-req-ack: SeqSize bytes sent as Block-sized requests, each
//     answered by an 8-byte ack before the next: the ceiling of one
//     synchronous writer with one request in flight, which is what a
//     FUSE write(2) without writeback cache is (MiB/s).
//   - tcp-rtt: RandOps round trips of 64 bytes each way: the ceiling of
//     any operation that needs one round trip (ops/s).

// networkTargets are the targets whose figures the TCP ceiling bounds;
// it is measured when one of them is selected.
var networkTargets = []string{"loom-net", "loom-net2", "glusterfs"}

// A comparison asks the table for one more ratio column per workload:
// the median of A divided by the median of B, when both ran.
type comparison struct{ A, B string }

// comparisons are the extra ratios printed under the table; target files
// add theirs in init.
var comparisons []comparison

// CeilingResult is one TCP ceiling figure: every round's sample and
// their median.
type CeilingResult struct {
	Name    string    `json:"name"`
	Unit    string    `json:"unit"`
	Samples []float64 `json:"samples"`
	Median  float64   `json:"median"`
}

// needsCeiling reports whether a network target is selected.
func needsCeiling(cfg *Config) bool {
	for _, n := range networkTargets {
		if contains(cfg.Only, n) {
			return true
		}
	}
	return false
}

// measureCeiling runs the three TCP measurements once and adds them to
// res; a failure is reported and skipped (the targets still run).
func measureCeiling(ctx context.Context, cfg *Config, res *Results, stderr io.Writer) {
	ms := []struct {
		name, unit string
		run        func(ctx context.Context, cfg *Config) (float64, error)
	}{
		{"tcp-stream", "MiB/s", tcpStream},
		{"tcp-req-ack", "MiB/s", tcpReqAck},
		{"tcp-rtt", "ops/s", tcpRoundTrips},
	}
	for _, m := range ms {
		rate, err := m.run(ctx, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "loombench: TCP ceiling %s: %v\n", m.name, err)
			continue
		}
		fmt.Fprintf(stderr, "loombench: TCP ceiling %-11s %10s %s\n", m.name, formatRate(rate), m.unit)
		res.Ceiling = addSample(res.Ceiling, m.name, m.unit, rate)
	}
}

// addSample records one sample of the ceiling figure name in cs.
func addSample(cs []CeilingResult, name, unit string, rate float64) []CeilingResult {
	for i := range cs {
		if cs[i].Name == name {
			cs[i].Samples = append(cs[i].Samples, rate)
			return cs
		}
	}
	return append(cs, CeilingResult{Name: name, Unit: unit, Samples: []float64{rate}})
}

// loopbackPair returns both ends of a fresh TCP connection on 127.0.0.1
// and the function that closes them. A cancelled run closes them too,
// which ends any blocked read or write.
func loopbackPair(ctx context.Context) (client, server net.Conn, closeBoth func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, err
	}
	defer ln.Close()
	type accepted struct {
		c   net.Conn
		err error
	}
	ch := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		ch <- accepted{c, err}
	}()
	var d net.Dialer
	client, err = d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return nil, nil, nil, err
	}
	a := <-ch
	if a.err != nil {
		client.Close()
		return nil, nil, nil, a.err
	}
	server = a.c
	closeConns := func() {
		client.Close()
		server.Close()
	}
	stop := context.AfterFunc(ctx, closeConns)
	return client, server, func() { stop(); closeConns() }, nil
}

// tcpStream times SeqSize bytes from the first write to the last byte read.
func tcpStream(ctx context.Context, cfg *Config) (float64, error) {
	c, s, closeBoth, err := loopbackPair(ctx)
	if err != nil {
		return 0, err
	}
	defer closeBoth()
	n := cfg.SeqSize / int64(cfg.Block)
	total := n * int64(cfg.Block)
	done := make(chan error, 1)
	go func() {
		// A plain read loop: io.Copy to io.Discard would read in 8 KiB.
		buf := make([]byte, cfg.Block)
		var err error
		for got, n := int64(0), 0; got < total && err == nil; got += int64(n) {
			n, err = s.Read(buf[:min(int64(len(buf)), total-got)])
		}
		done <- err
	}()
	block := make([]byte, cfg.Block)
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		if _, err := c.Write(block); err != nil {
			return 0, err
		}
	}
	if err := <-done; err != nil {
		return 0, err
	}
	return float64(total) / mib / time.Since(t0).Seconds(), nil
}

// tcpReqAck times SeqSize bytes sent as Block-sized requests, each
// acknowledged before the next is sent.
func tcpReqAck(ctx context.Context, cfg *Config) (float64, error) {
	c, s, closeBoth, err := loopbackPair(ctx)
	if err != nil {
		return 0, err
	}
	defer closeBoth()
	go echo(s, cfg.Block, 8)
	block := make([]byte, cfg.Block)
	ack := make([]byte, 8)
	n := cfg.SeqSize / int64(cfg.Block)
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		if _, err := c.Write(block); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(c, ack); err != nil {
			return 0, err
		}
	}
	return float64(n*int64(cfg.Block)) / mib / time.Since(t0).Seconds(), nil
}

// tcpRoundTrips times RandOps exchanges of 64 bytes each way.
func tcpRoundTrips(ctx context.Context, cfg *Config) (float64, error) {
	c, s, closeBoth, err := loopbackPair(ctx)
	if err != nil {
		return 0, err
	}
	defer closeBoth()
	go echo(s, 64, 64)
	msg := make([]byte, 64)
	t0 := time.Now()
	for i := 0; i < cfg.RandOps; i++ {
		if _, err := c.Write(msg); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(c, msg); err != nil {
			return 0, err
		}
	}
	return float64(cfg.RandOps) / time.Since(t0).Seconds(), nil
}

// echo reads requests of in bytes from c and answers each with out bytes
// until c is closed.
func echo(c net.Conn, in, out int) {
	req, rep := make([]byte, in), make([]byte, out)
	for {
		if _, err := io.ReadFull(c, req); err != nil {
			return
		}
		if _, err := c.Write(rep); err != nil {
			return
		}
	}
}
