package sheets

import (
	"encoding/json"
	"testing"

	"jiuzhu/app"
)

// jsonFields must read what encoding/json reads, for the fields the payment
// roster takes from stored households.
func TestJSONFieldsMatchesEncodingJSON(t *testing.T) {
	h := app.Household{ID: "h1", VillageName: "桃园\"村\\", Area: app.AreaRural, Phone: "139 \u2028 00", BankName: "农商行",
		BankAccount: "6217", Categories: []app.Category{"x"}, Incomes: []app.Income{{Kind: app.IncomeWage, Monthly: 40000, Note: "a}]\"b"}},
		Assets: []app.Asset{{Kind: "car", Value: 1}}}
	data, _ := json.Marshal(h)
	got := map[string]string{}
	if err := jsonFields(data, func(k, raw []byte) { got[string(k)] = string(raw) }); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"village_name", "phone", "bank_name", "bank_account", "area"} {
		var want string
		json.Unmarshal([]byte(got[k]), &want)
		s, err := jsonString([]byte(got[k]))
		if err != nil || s != want {
			t.Errorf("%s: %q, want %q (%v)", k, s, want, err)
		}
	}
	var inc []app.Income
	if err := json.Unmarshal([]byte(got["incomes"]), &inc); err != nil || len(inc) != 1 || inc[0].Note != h.Incomes[0].Note {
		t.Errorf("incomes %s: %v", got["incomes"], err)
	}
	if got["members"] != "null" {
		t.Errorf("members %q", got["members"])
	}
	for _, bad := range []string{``, `[]`, `{"a"}`, `{"a":}`, `{"a":"x`, `{"a":[1,2}`, `{"a":1 "b":2}`} {
		if err := jsonFields([]byte(bad), func(k, raw []byte) {}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzJSONFields(f *testing.F) {
	f.Add([]byte(`{"a":"x","b":[1,{"c":"]"}],"d":null}`))
	f.Add([]byte(` { "a" : 1 , "a\"b" : true } `))
	f.Fuzz(func(t *testing.T, data []byte) {
		var want map[string]json.RawMessage
		if json.Unmarshal(data, &want) != nil || want == nil {
			return
		}
		got := map[string]string{}
		if err := jsonFields(data, func(k, raw []byte) { got[string(k)] = string(raw) }); err != nil {
			t.Fatalf("valid object %q refused: %v", data, err)
		}
		for k, v := range want {
			if g, ok := got[k]; ok && g != string(v) {
				t.Fatalf("%q: %s = %s, want %s", data, k, g, v)
			}
		}
	})
}
