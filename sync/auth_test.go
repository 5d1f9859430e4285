package sync_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"jiuzhu/app"
	"jiuzhu/demo"
	"jiuzhu/storage"
	jsync "jiuzhu/sync"
)

const township2 = "341122102"

func register(t *testing.T, d *device, v storage.Village, seed uint64) (string, string) {
	t.Helper()
	g := demo.New(seed, d.store.Device().TownshipCode, d.store.Today())
	hid, cid, err := d.store.RegisterHousehold(context.Background(), demo.Clerk, g.Household(v),
		&app.CaseApplied{Program: app.ProgramDibao, AppliedOn: d.store.Today(), Reason: "收入低"})
	if err != nil {
		t.Fatal(err)
	}
	return hid, cid
}

func mustSync(t *testing.T, d *device) jsync.Result {
	t.Helper()
	res, err := d.client.Sync(context.Background(), nil)
	if err != nil {
		t.Fatalf("%s: sync: %v", d.name, err)
	}
	return res
}

func serverEvents(t *testing.T, c *county) int {
	t.Helper()
	var n int
	if err := c.store.DB().QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func rawPush(t *testing.T, c *county, token, deviceID string, body []byte, gz bool) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", c.srv.URL+"/v1/push", bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set(jsync.HeaderDevice, deviceID)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func gzipJSON(t *testing.T, v any) []byte {
	b, err := jsync.EncodeGzipJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAuthorisation: a device never reads or writes another township's or
// (for a village laptop) another village's data.
func TestAuthorisation(t *testing.T) {
	ctx := context.Background()
	c := newCounty(t)
	vs := demo.New(1, township, app.Date{}).Villages()
	vs2 := demo.New(1, township2, app.Date{}).Villages()
	a := newDevice(t, c, "A", township, nil)
	v := newDevice(t, c, "V", township, nil, vs[0].Code)
	x := newDevice(t, c, "X", township2, nil)

	h1, _ := register(t, a, vs[0], 1)
	h2, c2 := register(t, a, vs[1], 2)
	h3, _ := register(t, x, vs2[0], 3)
	if _, err := a.store.AddAttachment(ctx, demo.Clerk, c2, "证明.jpg", "image/jpeg", []byte("scan of village 2"), ""); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*device{a, x, v, a, x, v} {
		mustSync(t, d)
	}
	has := func(d *device, hid string) bool {
		_, err := d.store.Household(ctx, hid)
		return err == nil
	}
	if !has(v, h1) || has(v, h2) || has(v, h3) {
		t.Errorf("village laptop sees h1=%v h2=%v h3=%v; want only its village's h1", has(v, h1), has(v, h2), has(v, h3))
	}
	if has(x, h1) || has(x, h2) || has(a, h3) {
		t.Error("a township sees another township's households")
	}
	// The village laptop cannot download village 2's attachment.
	miss, _ := v.store.MissingBlobs(ctx)
	if len(miss) != 0 {
		t.Errorf("village laptop knows of attachments outside its village: %v", miss)
	}
	agg, _ := a.store.Household(ctx, h2)
	sha := agg.Attachments[0].SHA256
	for _, d := range []*device{v, x} {
		req, _ := http.NewRequest("GET", c.srv.URL+"/v1/blobs/"+sha, nil)
		req.Header.Set("Authorization", "Bearer "+d.token)
		req.Header.Set(jsync.HeaderDevice, d.store.Device().ID)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s downloads another village's attachment: %d", d.name, resp.StatusCode)
		}
	}

	// A village laptop writing for another village: stored as rejected, with a
	// reason that reaches it; later events still go through.
	hv, _ := register(t, v, vs[1], 4)
	res := mustSync(t, v)
	if len(res.Rejected) != 2 || !strings.Contains(res.Rejected[0].Reason, "不能办理") { // registration + application
		t.Fatalf("village laptop's out-of-village registration: %+v", res.Rejected)
	}
	rej, _ := v.store.Rejections(ctx)
	if len(rej) != 2 {
		t.Errorf("rejection not recorded on the device: %v", rej)
	}
	if err := v.store.SetField(ctx, demo.Clerk, h1, "", "phone", "13700000000"); err != nil {
		t.Fatal(err)
	}
	if res := mustSync(t, v); res.Pending != 0 || len(res.Rejected) != 0 {
		t.Errorf("queue after a rejection: %+v", res)
	}
	_ = hv

	// Events claiming another township: 403, nothing stored.
	before := serverEvents(t, c)
	if err := a.store.SetField(ctx, demo.Clerk, h1, "", "phone", "13600000000"); err != nil {
		t.Fatal(err)
	}
	out, _ := a.store.OutboxEvents(ctx, 10)
	forged := out[0]
	forged.TownshipCode = township2
	forged.Seal(forged.PrevHash)
	st, body := rawPush(t, c, a.token, a.store.Device().ID, gzipJSON(t, jsync.PushRequest{SchemaV: app.SchemaVersion,
		DeviceID: a.store.Device().ID, Events: []app.Event{forged}}), true)
	if st != http.StatusForbidden || serverEvents(t, c) != before {
		t.Errorf("forged township: %d %s, events %d -> %d", st, body, before, serverEvents(t, c))
	}
	// Another device's events under my token: 403.
	st, _ = rawPush(t, c, a.token, x.store.Device().ID, gzipJSON(t, jsync.PushRequest{SchemaV: app.SchemaVersion,
		DeviceID: x.store.Device().ID, Events: out}), true)
	if st != http.StatusForbidden {
		t.Errorf("push under another device's id: %d", st)
	}
	// Unknown and revoked tokens.
	st, _ = rawPush(t, c, "jz_nonsense", a.store.Device().ID, nil, false)
	if st != http.StatusUnauthorized {
		t.Errorf("unknown token: %d", st)
	}
	if err := c.store.Revoke(ctx, "X"); err != nil {
		t.Fatal(err)
	}
	if _, err := x.client.Sync(ctx, nil); err == nil || !strings.Contains(jsync.Message(err), "吊销") {
		t.Errorf("revoked device synced: %v", err)
	}
	if last, _ := x.store.Meta(ctx, jsync.MetaLastResult); !strings.Contains(last, "吊销") || !strings.Contains(last, "清除") {
		t.Errorf("last result after a refused sync: %q", last)
	}
	if serverEvents(t, c) != before {
		t.Error("refused requests stored events")
	}
}

// TestBadRequests: malformed, truncated, wrong-version, bomb and oversize
// pushes get a clear 4xx and store nothing.
func TestBadRequests(t *testing.T) {
	ctx := context.Background()
	c := newCounty(t)
	a := newDevice(t, c, "A", township, nil)
	id := a.store.Device().ID
	out, _ := a.store.OutboxEvents(ctx, 100)
	good := gzipJSON(t, jsync.PushRequest{SchemaV: app.SchemaVersion, DeviceID: id, Events: out})

	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write([]byte(`{"schema_v":1,"device_id":"x","events":[`))
	zw.Write(bytes.Repeat([]byte(" "), jsync.MaxDecodedBytes+10))
	zw.Close()
	big := make([]byte, jsync.MaxBodyBytes+100)
	for i := range big {
		big[i] = byte(i * 7919 >> 3)
	}
	gap := append([]app.Event(nil), out[1:]...)

	for _, tc := range []struct {
		name string
		body []byte
		gz   bool
		want int
	}{
		{"malformed", []byte(`{"schema_v":1,"device_id":`), false, 400},
		{"not json", []byte("hello"), false, 400},
		{"truncated gzip", good[:len(good)/2], true, 400},
		{"not gzip", []byte("plain"), true, 400},
		{"old schema", gzipJSON(t, jsync.PushRequest{SchemaV: app.SchemaVersion - 2, DeviceID: id, Events: out}), true, 426},
		{"future schema", gzipJSON(t, jsync.PushRequest{SchemaV: app.SchemaVersion + 1, DeviceID: id, Events: out}), true, 426},
		{"gzip bomb", bomb.Bytes(), true, 413},
		{"oversize", big, false, 413},
		{"gap", gzipJSON(t, jsync.PushRequest{SchemaV: app.SchemaVersion, DeviceID: id, Events: gap}), true, 409},
	} {
		st, body := rawPush(t, c, a.token, id, tc.body, tc.gz)
		if st != tc.want {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, st, tc.want, body)
		}
		if st != 409 {
			var er jsync.ErrorReply
			if json.Unmarshal([]byte(body), &er) != nil || er.Message == "" {
				t.Errorf("%s: no clear message: %s", tc.name, body)
			}
		}
		if n := serverEvents(t, c); n != 0 {
			t.Fatalf("%s stored %d events", tc.name, n)
		}
	}
	// A tampered event is stored as rejected and does not wedge what follows.
	bad := append([]app.Event(nil), out...)
	bad[1].Payload = json.RawMessage(`{"rules":{}}`)
	st, body := rawPush(t, c, a.token, id, gzipJSON(t, jsync.PushRequest{SchemaV: app.SchemaVersion, DeviceID: id, Events: bad}), true)
	var reply jsync.PushReply
	json.Unmarshal([]byte(body), &reply)
	if st != 200 || reply.AckedThrough != int64(len(out)) || reply.Results[1].Status != jsync.StatusRejected {
		t.Fatalf("tampered event: %d %s", st, body)
	}
	// Re-sending the batch: everything acknowledged again, the rejection repeated, nothing doubled.
	st, body = rawPush(t, c, a.token, id, gzipJSON(t, jsync.PushRequest{SchemaV: app.SchemaVersion, DeviceID: id, Events: bad}), true)
	json.Unmarshal([]byte(body), &reply)
	if st != 200 || reply.Results[0].Status != jsync.StatusDuplicate || reply.Results[1].Status != jsync.StatusRejected ||
		serverEvents(t, c) != len(out) {
		t.Fatalf("re-send: %d %s", st, body)
	}
	// Health.
	resp, err := http.Get(c.srv.URL + "/v1/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", err, resp)
	}
}

func FuzzDecodePush(f *testing.F) {
	ev := app.Event{ID: "e1", DeviceID: "d", DeviceSeq: 1, Type: "field.set", SchemaV: 1, Payload: json.RawMessage(`{}`)}
	plain, _ := json.Marshal(jsync.PushRequest{SchemaV: 1, DeviceID: "d", Events: []app.Event{ev}})
	gz, _ := jsync.EncodeGzipJSON(jsync.PushRequest{SchemaV: 1, DeviceID: "d", Events: []app.Event{ev}})
	f.Add(plain, false)
	f.Add(gz, true)
	f.Add([]byte(`{"schema_v":1,"device_id":"d","events":[{"hlc":"0000000000001.000001"}]}`), false)
	f.Add(gz[:len(gz)/2], true)
	f.Fuzz(func(t *testing.T, body []byte, gzipped bool) {
		req, err := jsync.DecodePush(bytes.NewReader(body), gzipped)
		if err != nil {
			var he *jsync.HTTPError
			if !asHTTPError(err, &he) || he.Status < 400 || he.Status >= 500 || he.Message == "" {
				t.Fatalf("decode error is not a clear 4xx: %v", err)
			}
			return
		}
		for i, e := range req.Events {
			if e.ID == "" || e.DeviceID != req.DeviceID || e.DeviceSeq <= 0 || !json.Valid(e.Payload) ||
				(i > 0 && e.DeviceSeq != req.Events[i-1].DeviceSeq+1) {
				t.Fatalf("accepted a malformed event: %+v", e)
			}
		}
	})
}
