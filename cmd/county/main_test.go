package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnrollServeRevoke(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := filepath.Join(t.TempDir(), "county.db")
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb}
	if err := m.Run(ctx, []string{"enroll", "--db", db, "--township", "341122101", "--village", "341122101201", "--device", "村电脑"}); err != nil {
		t.Fatalf("enroll: %v %s", err, errb.String())
	}
	if tok := strings.TrimSpace(out.String()); !strings.HasPrefix(tok, "jz_") {
		t.Fatalf("token: %q", tok)
	}
	if err := m.Run(ctx, []string{"enroll", "--db", db, "--township", "341122101", "--device", "村电脑"}); err == nil {
		t.Error("enrolled the same name twice")
	}
	if err := m.Run(ctx, []string{"revoke", "--db", db, "--device", "村电脑"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx, []string{"revoke", "--db", db, "--device", "无此设备"}); err == nil {
		t.Error("revoked an unknown device")
	}
	ready := make(chan string, 1)
	sm := &Main{Stdout: &out, Stderr: &errb, Ready: ready}
	done := make(chan error, 1)
	go func() { done <- sm.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db}) }()
	addr := <-ready
	resp, err := http.Get("http://" + addr + "/v1/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", err, resp)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
