package stats

import "strings"

// OtherCode is the code of the "Other" citizenship grouping and of labels
// that name no single country.
const OtherCode = "Other"

// citizenship is one row of the citizenship table: an ISO 3166-1 alpha-2
// code (or OtherCode) and every source label that stands for it. Labels are
// matched after normalisation (see normLabel), so "MEXICO" and "Mexico" are
// one label.
type citizenship struct {
	code   string
	labels []string
	note   string
}

// citizenships is the citizenship-to-ISO table. docs/stats/citizenship.md is
// generated from it (go test ./stats -run TestCitizenshipDoc -update).
var citizenships = []citizenship{
	{"Other", []string{"Other", "Unknown"}, "CBP's grouping of all other countries; OHSS's unknown citizenship"},
	{"AF", []string{"Afghanistan"}, ""},
	{"AL", []string{"Albania"}, ""},
	{"DZ", []string{"Algeria"}, ""},
	{"AO", []string{"Angola"}, ""},
	{"AG", []string{"Antigua and Barbuda"}, ""},
	{"AR", []string{"Argentina"}, ""},
	{"AM", []string{"Armenia"}, ""},
	{"AU", []string{"Australia"}, ""},
	{"AT", []string{"Austria"}, ""},
	{"AZ", []string{"Azerbaijan"}, ""},
	{"BS", []string{"Bahamas", "Bahamas, The"}, ""},
	{"BH", []string{"Bahrain"}, ""},
	{"BD", []string{"Bangladesh"}, ""},
	{"BB", []string{"Barbados"}, ""},
	{"BY", []string{"Belarus"}, ""},
	{"BE", []string{"Belgium"}, ""},
	{"BZ", []string{"Belize"}, ""},
	{"BJ", []string{"Benin"}, ""},
	{"BT", []string{"Bhutan"}, ""},
	{"BO", []string{"Bolivia"}, ""},
	{"BA", []string{"Bosnia and Herzegovina", "Bosnia-Herzegovina"}, ""},
	{"BW", []string{"Botswana"}, ""},
	{"BR", []string{"Brazil"}, ""},
	{"BG", []string{"Bulgaria"}, ""},
	{"BF", []string{"Burkina Faso"}, ""},
	{"MM", []string{"Burma", "Myanmar", "Myanmar (Burma)"}, ""},
	{"BI", []string{"Burundi"}, ""},
	{"CV", []string{"Cabo Verde", "Cape Verde"}, ""},
	{"KH", []string{"Cambodia"}, ""},
	{"CM", []string{"Cameroon"}, ""},
	{"CA", []string{"Canada"}, ""},
	{"CF", []string{"Central African Republic"}, ""},
	{"TD", []string{"Chad"}, ""},
	{"CL", []string{"Chile"}, ""},
	{"CN", []string{"China", "China, People's Republic", "China, Peoples Republic of", "China, People's Republic of"}, ""},
	{"CO", []string{"Colombia"}, ""},
	{"CD", []string{"Congo, Democratic Republic", "Congo, Democratic Republic of the", "Democratic Republic of the Congo"}, ""},
	{"CG", []string{"Congo, Republic", "Congo, Republic of the"}, ""},
	{"CR", []string{"Costa Rica"}, ""},
	{"CI", []string{"Cote d'Ivoire", "Côte d'Ivoire", "Ivory Coast"}, ""},
	{"HR", []string{"Croatia"}, ""},
	{"CU", []string{"Cuba"}, ""},
	{"CZ", []string{"Czechia", "Czech Republic"}, ""},
	{"DK", []string{"Denmark"}, ""},
	{"DJ", []string{"Djibouti"}, ""},
	{"DM", []string{"Dominica"}, ""},
	{"DO", []string{"Dominican Republic"}, ""},
	{"EC", []string{"Ecuador"}, ""},
	{"EG", []string{"Egypt"}, ""},
	{"SV", []string{"El Salvador"}, ""},
	{"GQ", []string{"Equatorial Guinea"}, ""},
	{"ER", []string{"Eritrea"}, ""},
	{"EE", []string{"Estonia"}, ""},
	{"SZ", []string{"Eswatini", "Swaziland"}, ""},
	{"ET", []string{"Ethiopia"}, ""},
	{"FJ", []string{"Fiji"}, ""},
	{"FI", []string{"Finland"}, ""},
	{"FR", []string{"France"}, ""},
	{"GA", []string{"Gabon"}, ""},
	{"GM", []string{"Gambia", "Gambia, The"}, ""},
	{"GE", []string{"Georgia"}, ""},
	{"DE", []string{"Germany"}, ""},
	{"GH", []string{"Ghana"}, ""},
	{"GR", []string{"Greece"}, ""},
	{"GD", []string{"Grenada"}, ""},
	{"GT", []string{"Guatemala"}, ""},
	{"GN", []string{"Guinea"}, ""},
	{"GW", []string{"Guinea-Bissau"}, ""},
	{"GY", []string{"Guyana"}, ""},
	{"HT", []string{"Haiti"}, ""},
	{"HN", []string{"Honduras"}, ""},
	{"HU", []string{"Hungary"}, ""},
	{"IS", []string{"Iceland"}, ""},
	{"IN", []string{"India"}, ""},
	{"ID", []string{"Indonesia"}, ""},
	{"IR", []string{"Iran"}, ""},
	{"IQ", []string{"Iraq"}, ""},
	{"IE", []string{"Ireland"}, ""},
	{"IL", []string{"Israel"}, ""},
	{"IT", []string{"Italy"}, ""},
	{"JM", []string{"Jamaica"}, ""},
	{"JP", []string{"Japan"}, ""},
	{"JO", []string{"Jordan"}, ""},
	{"KZ", []string{"Kazakhstan"}, ""},
	{"KE", []string{"Kenya"}, ""},
	{"KP", []string{"Korea, North", "North Korea"}, ""},
	{"KR", []string{"Korea, South", "South Korea"}, ""},
	{"XK", []string{"Kosovo"}, "user-assigned code, as used by the European Commission"},
	{"KW", []string{"Kuwait"}, ""},
	{"KG", []string{"Kyrgyzstan"}, ""},
	{"LA", []string{"Laos"}, ""},
	{"LV", []string{"Latvia"}, ""},
	{"LB", []string{"Lebanon"}, ""},
	{"LS", []string{"Lesotho"}, ""},
	{"LR", []string{"Liberia"}, ""},
	{"LY", []string{"Libya"}, ""},
	{"LT", []string{"Lithuania"}, ""},
	{"MG", []string{"Madagascar"}, ""},
	{"MW", []string{"Malawi"}, ""},
	{"MY", []string{"Malaysia"}, ""},
	{"ML", []string{"Mali"}, ""},
	{"MR", []string{"Mauritania"}, ""},
	{"MU", []string{"Mauritius"}, ""},
	{"MX", []string{"Mexico"}, ""},
	{"FM", []string{"Micronesia, Federated States", "Micronesia, Federated States of", "Micronesia"}, ""},
	{"MD", []string{"Moldova"}, ""},
	{"MN", []string{"Mongolia"}, ""},
	{"ME", []string{"Montenegro"}, ""},
	{"MA", []string{"Morocco"}, ""},
	{"MZ", []string{"Mozambique"}, ""},
	{"NA", []string{"Namibia"}, ""},
	{"NP", []string{"Nepal"}, ""},
	{"NL", []string{"Netherlands"}, ""},
	{"NZ", []string{"New Zealand"}, ""},
	{"NI", []string{"Nicaragua"}, ""},
	{"NE", []string{"Niger"}, ""},
	{"NG", []string{"Nigeria"}, ""},
	{"MK", []string{"North Macedonia", "Macedonia"}, ""},
	{"NO", []string{"Norway"}, ""},
	{"OM", []string{"Oman"}, ""},
	{"PK", []string{"Pakistan"}, ""},
	{"PS", []string{"Palestine", "Palestinian Territories"}, ""},
	{"PA", []string{"Panama"}, ""},
	{"PG", []string{"Papua New Guinea"}, ""},
	{"PY", []string{"Paraguay"}, ""},
	{"PE", []string{"Peru"}, ""},
	{"PH", []string{"Philippines"}, ""},
	{"PL", []string{"Poland"}, ""},
	{"PT", []string{"Portugal"}, ""},
	{"QA", []string{"Qatar"}, ""},
	{"RO", []string{"Romania"}, ""},
	{"RU", []string{"Russia", "Russian Federation"}, ""},
	{"RW", []string{"Rwanda"}, ""},
	{"KN", []string{"Saint Kitts and Nevis"}, ""},
	{"LC", []string{"Saint Lucia"}, ""},
	{"VC", []string{"Saint Vincent and the Grenadines"}, ""},
	{"WS", []string{"Samoa"}, ""},
	{"SA", []string{"Saudi Arabia"}, ""},
	{"SN", []string{"Senegal"}, ""},
	{"RS", []string{"Serbia"}, ""},
	{"CS", []string{"Serbia and Montenegro (former)", "Serbia and Montenegro"}, "former country (until 2006); code transitionally reserved in ISO 3166-1"},
	{"SL", []string{"Sierra Leone"}, ""},
	{"SG", []string{"Singapore"}, ""},
	{"SK", []string{"Slovakia"}, ""},
	{"SI", []string{"Slovenia"}, ""},
	{"SO", []string{"Somalia"}, ""},
	{"ZA", []string{"South Africa"}, ""},
	{"SS", []string{"South Sudan"}, ""},
	{"ES", []string{"Spain"}, ""},
	{"LK", []string{"Sri Lanka"}, ""},
	{"SD", []string{"Sudan"}, ""},
	{"SR", []string{"Suriname"}, ""},
	{"SE", []string{"Sweden"}, ""},
	{"CH", []string{"Switzerland"}, ""},
	{"SY", []string{"Syria"}, ""},
	{"TW", []string{"Taiwan"}, ""},
	{"TJ", []string{"Tajikistan"}, ""},
	{"TZ", []string{"Tanzania"}, ""},
	{"TH", []string{"Thailand"}, ""},
	{"TL", []string{"Timor-Leste", "East Timor"}, ""},
	{"TG", []string{"Togo"}, ""},
	{"TO", []string{"Tonga"}, ""},
	{"TT", []string{"Trinidad and Tobago"}, ""},
	{"TN", []string{"Tunisia"}, ""},
	{"TR", []string{"Turkey", "Türkiye", "Turkiye"}, ""},
	{"TM", []string{"Turkmenistan"}, ""},
	{"UG", []string{"Uganda"}, ""},
	{"UA", []string{"Ukraine"}, ""},
	{"AE", []string{"United Arab Emirates"}, ""},
	{"GB", []string{"United Kingdom"}, ""},
	{"US", []string{"United States"}, ""},
	{"UY", []string{"Uruguay"}, ""},
	{"UZ", []string{"Uzbekistan"}, ""},
	{"VE", []string{"Venezuela"}, ""},
	{"VN", []string{"Vietnam", "Viet Nam"}, ""},
	{"YE", []string{"Yemen"}, ""},
	{"ZM", []string{"Zambia"}, ""},
	{"ZW", []string{"Zimbabwe"}, ""},
}

var citizenshipIndex = func() map[string]string {
	m := make(map[string]string)
	for _, c := range citizenships {
		for _, l := range c.labels {
			n := normLabel(l)
			if prev, ok := m[n]; ok && prev != c.code {
				panic("stats: citizenship label " + l + " maps to two codes")
			}
			m[n] = c.code
		}
	}
	return m
}()

// normLabel folds a citizenship label for lookup: upper case, apostrophes
// dropped, runs of spaces made one.
func normLabel(s string) string {
	s = strings.ToUpper(s)
	s = strings.NewReplacer("'", "", "’", "", "`", "").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// CitizenshipCode returns the ISO 3166-1 alpha-2 code of a citizenship label
// as CBP or OHSS write it ("MEXICO", "China, People's Republic",
// "MYANMAR (BURMA)"), OtherCode for "Other" and "Unknown", and ok=false
// (with OtherCode) for a label the table does not know.
func CitizenshipCode(label string) (code string, ok bool) {
	code, ok = citizenshipIndex[normLabel(label)]
	if !ok {
		return OtherCode, false
	}
	return code, true
}
