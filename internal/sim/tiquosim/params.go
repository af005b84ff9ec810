package tiquosim

import (
	"slices"
	"strings"
)

// The schema document IDs of the simulated organisation's custom parameters.
const (
	// LoyaltyTierParameterID is "Loyalty Tier": Bronze, Silver, Gold or
	// Platinum. Most customers have it; CUST-000001 is Gold.
	LoyaltyTierParameterID = "jd7loyaltytier00001"
	// DietaryPreferencesParameterID is "Dietary Preferences", a
	// multiselect of Vegetarian, Vegan, Gluten-Free, Halal and Kosher.
	DietaryPreferencesParameterID = "jd7dietaryprefs0002"
)

// The system parameter IDs of the list doc.
const (
	paramMarketingOptIn = "system_marketing_opt_in"
	paramSMSOptIn       = "system_sms_opt_in"
	paramDateOfBirth    = "system_date_of_birth"
	paramSource         = "system_source"
	paramCampaign       = "system_campaign"
	paramMedium         = "system_medium"
	paramBrowser        = "system_browser"
	paramDevice         = "system_device"
	paramLocation       = "system_location"
	paramLanguage       = "system_language"
)

// parameterDef is one entry of the organisation's parameter schema.
type parameterDef struct {
	id, name, typ string
}

// parameterSchema lists every parameter in the order customers store them.
var parameterSchema = []parameterDef{
	{paramMarketingOptIn, "Marketing Opt-In", "boolean"},
	{paramSMSOptIn, "SMS Opt-In", "boolean"},
	{paramDateOfBirth, "Date of Birth", "date"},
	{paramSource, "Source", "select"},
	{paramCampaign, "Campaign", "text"},
	{paramMedium, "Medium", "select"},
	{paramBrowser, "Browser", "multiselect"},
	{paramDevice, "Device", "multiselect"},
	{paramLocation, "Location", "select"},
	{paramLanguage, "Language", "select"},
	{LoyaltyTierParameterID, "Loyalty Tier", "select"},
	{DietaryPreferencesParameterID, "Dietary Preferences", "multiselect"},
}

func schemaIndex(id string) int {
	return slices.IndexFunc(parameterSchema, func(d parameterDef) bool { return d.id == id })
}

// parameterIDByName resolves a parameter name case-insensitively.
func parameterIDByName(name string) (string, bool) {
	for _, d := range parameterSchema {
		if strings.EqualFold(d.name, name) {
			return d.id, true
		}
	}
	return "", false
}

// withParameter returns a copy of params with the parameter id set to
// values, or removed when values is empty, keeping schema order. The input
// slice is not modified (records are copy-on-write).
func withParameter(params []Parameter, id string, values ...string) []Parameter {
	out := make([]Parameter, 0, len(params)+1)
	for _, p := range params {
		if p.ID != id {
			out = append(out, p)
		}
	}
	if len(values) == 0 {
		return out
	}
	i := schemaIndex(id)
	p := Parameter{ID: id, Name: parameterSchema[i].name, Values: values}
	at := slices.IndexFunc(out, func(q Parameter) bool { return schemaIndex(q.ID) > i })
	if at < 0 {
		return append(out, p)
	}
	return slices.Insert(out, at, p)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
