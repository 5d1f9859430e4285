package sync_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"jiuzhu/demo"
)

// TestRevokedDevicePurgesItsData: a lost laptop that reaches the county after
// its revocation deletes every person's data, down to the bytes of the file.
func TestRevokedDevicePurgesItsData(t *testing.T) {
	ctx := context.Background()
	c := newCounty(t)
	d := newDevice(t, c, "村电脑", township, nil)
	if err := demo.Populate(ctx, d.store, 11, 20, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.client.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	rows, _ := d.store.SearchMembers(ctx, township[:6], "", 5)
	if len(rows) == 0 {
		t.Fatal("demo members not found")
	}
	secret := []byte(rows[0].IDNumber)
	if !fileContains(d.store.Path(), secret) {
		t.Fatal("the scan cannot see the ID number even before the purge")
	}
	if err := c.store.Revoke(ctx, "村电脑"); err != nil {
		t.Fatal(err)
	}
	res, err := d.client.Sync(ctx, nil)
	if err == nil || !res.Purged {
		t.Fatalf("revoked sync: purged=%v err=%v", res.Purged, err)
	}
	if purged, _ := d.store.Purged(ctx); purged == "" {
		t.Fatal("purge not recorded")
	}
	if rows, _ := d.store.SearchMembers(ctx, township[:6], "", 5); len(rows) != 0 {
		t.Fatalf("members left after purge: %d", len(rows))
	}
	if n, _ := d.store.Pending(ctx); n != 0 {
		t.Fatalf("%d events left", n)
	}
	if fileContains(d.store.Path(), secret) {
		t.Fatal("ID number still in the database file or its WAL after the purge")
	}
}

func fileContains(path string, secret []byte) bool {
	for _, suffix := range []string{"", "-wal"} {
		if raw, err := os.ReadFile(path + suffix); err == nil && bytes.Contains(raw, secret) {
			return true
		}
	}
	return false
}
