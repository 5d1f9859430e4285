package sync

import (
	"encoding/json"
	"testing"

	"jiuzhu/app"
)

func TestAppendEventMatchesEncodingJSON(t *testing.T) {
	for _, e := range []app.Event{
		{ID: "a", DeviceID: "d", DeviceSeq: 7, Type: "t", SchemaV: 1, Payload: json.RawMessage(`{"x":"<&>"}`)},
		{ID: "01a2", DeviceID: "d\"\\\n\r\t\x01", DeviceSeq: 1, Type: "household.registered", HouseholdID: "h", CaseID: "c",
			TownshipCode: "341122101", VillageCode: "341122101201", SchemaV: 1, HLC: app.HLC{Wall: 1795917032184, Logical: 3},
			Actor: app.Actor{UserID: "u", Name: "李经办\u2028\u2029\xff", Role: app.RoleClerk}, Payload: json.RawMessage(`[1,2]`),
			PrevHash: "p", Hash: "h<>&"},
	} {
		want, err := marshalEvent(&e)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendEvent(nil, &e); string(got) != string(want) {
			t.Errorf("appendEvent:\n got %s\nwant %s", got, want)
		}
	}
}
