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
	// The ID number is sealed on disk; what the file holds is its sealed text,
	// which the purge must remove too (with the keys that could open it).
	if fileContains(d.store.Path(), []byte(rows[0].IDNumber)) {
		t.Fatal("an ID number is readable in the database file")
	}
	var sealed string
	if err := d.store.DB().QueryRow(`SELECT id_number FROM members WHERE id = ?`, rows[0].MemberID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	d.store.DB().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	secret := []byte(sealed)
	if !fileContains(d.store.Path(), secret) {
		t.Fatal("the scan cannot see the sealed ID number even before the purge")
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
	if !d.store.Locked() {
		t.Fatal("the data key stayed in memory after the purge")
	}
	var members, keys int
	d.store.DB().QueryRow(`SELECT count(*) FROM members`).Scan(&members)
	d.store.DB().QueryRow(`SELECT count(*) FROM meta WHERE key LIKE 'data_key%'`).Scan(&keys)
	if members != 0 || keys != 0 {
		t.Fatalf("after purge: %d members, %d data keys left", members, keys)
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
