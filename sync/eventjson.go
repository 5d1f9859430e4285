package sync

import (
	"strconv"
	"unicode/utf8"

	"jiuzhu/app"
)

// appendEvent appends e as the same JSON that encoding/json writes for an
// app.Event (without HTML escaping), but without reflection: the county
// marshals every stored event, and reflection was a tenth of a push.
// The payload is copied byte for byte, exactly as it was hashed.
func appendEvent(b []byte, e *app.Event) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"device_id":`...)
	b = appendString(b, e.DeviceID)
	b = append(b, `,"device_seq":`...)
	b = strconv.AppendInt(b, e.DeviceSeq, 10)
	b = append(b, `,"type":`...)
	b = appendString(b, e.Type)
	if e.HouseholdID != "" {
		b = append(b, `,"household_id":`...)
		b = appendString(b, e.HouseholdID)
	}
	if e.CaseID != "" {
		b = append(b, `,"case_id":`...)
		b = appendString(b, e.CaseID)
	}
	if e.TownshipCode != "" {
		b = append(b, `,"township_code":`...)
		b = appendString(b, e.TownshipCode)
	}
	if e.VillageCode != "" {
		b = append(b, `,"village_code":`...)
		b = appendString(b, e.VillageCode)
	}
	b = append(b, `,"schema_v":`...)
	b = strconv.AppendInt(b, int64(e.SchemaV), 10)
	b = append(b, `,"hlc":`...)
	b = appendString(b, e.HLC.String())
	b = append(b, `,"actor":{"user_id":`...)
	b = appendString(b, e.Actor.UserID)
	b = append(b, `,"name":`...)
	b = appendString(b, e.Actor.Name)
	b = append(b, `,"role":`...)
	b = appendString(b, string(e.Actor.Role))
	b = append(b, `},"payload":`...)
	if len(e.Payload) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, e.Payload...)
	}
	b = append(b, `,"prev_hash":`...)
	b = appendString(b, e.PrevHash)
	b = append(b, `,"hash":`...)
	b = appendString(b, e.Hash)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does with SetEscapeHTML(false).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
