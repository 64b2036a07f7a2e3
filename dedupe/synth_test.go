package dedupe

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file generates synthetic registrations: households of Spanish,
// Haitian and Portuguese naming customs, and for a known share of people a
// second registration in another household, altered the way a second
// registration is: typos, swapped surnames, a missing second surname or
// middle name, other spellings, accents dropped, upper case, a partial or
// mistyped birth date, a document number given once but not twice.

type culture struct {
	weight         float64
	givenM, givenF *pool
	surnames       *pool
	nats           []string
	natWeights     []float64
	twoSurnames    bool
	docPrefix      string
	secondGivenPct float64
}

type pool struct {
	names []string
	cum   []float64
}

// newPool weighs head names by Zipf's law (exponent 0.8) for headShare of
// the mass and spreads the rest over the tail with a flatter law.
func newPool(head, tail []string, headShare float64) *pool {
	p := &pool{}
	add := func(names []string, exp, share float64) {
		var sum float64
		w := make([]float64, len(names))
		for i := range names {
			w[i] = 1 / math.Pow(float64(i+1), exp)
			sum += w[i]
		}
		for i, n := range names {
			last := 0.0
			if len(p.cum) > 0 {
				last = p.cum[len(p.cum)-1]
			}
			p.names = append(p.names, n)
			p.cum = append(p.cum, last+share*w[i]/sum)
		}
	}
	if len(tail) == 0 {
		headShare = 1
	}
	add(head, 0.8, headShare)
	if len(tail) > 0 {
		add(tail, 0.3, 1-headShare)
	}
	return p
}

func (p *pool) draw(r *rand.Rand) string {
	x := r.Float64() * p.cum[len(p.cum)-1]
	lo, hi := 0, len(p.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if p.cum[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return p.names[lo]
}

func combine(prefixes, suffixes []string) []string {
	var out []string
	for _, p := range prefixes {
		for _, s := range suffixes {
			out = append(out, p+s)
		}
	}
	return out
}

func split(s string) []string { return strings.Fields(s) }

var cultures = func() []culture {
	spanishM := split(`José Juan Luis Carlos Jorge Miguel Francisco Pedro Jesús Manuel Antonio Alejandro Fernando
		Ricardo Roberto Eduardo Sergio Mario Javier Daniel David Andrés Óscar Víctor Raúl Héctor Esteban Santiago
		Sebastián Mateo Nicolás Samuel Diego Julián Cristian Wilson Edwin Hugo Ángel Gustavo Rubén Nelson Elvis
		Kevin Brayan Jefferson Yeison Osmany Yoandry Alexis Omar Rafael Ramón Alberto Enrique Arturo Gerardo
		Guillermo Ignacio Joaquín Leonardo Marcos Martín Pablo Rodrigo Salvador Tomás Walter Wilmer Henry
		Franklin Jhon Anderson Yorman Deiby Maikel Yusniel Lázaro Reinaldo Gabriel Emilio Felipe Hernán`)
	spanishF := split(`María Ana Rosa Carmen Guadalupe Juana Margarita Patricia Sandra Yolanda Verónica Silvia
		Gabriela Alejandra Leticia Elizabeth Lucía Sofía Valentina Camila Isabella Mariana Daniela Valeria Ximena
		Yesenia Wendy Yurani Deisy Leidy Maryury Dayana Yuliana Katherine Karla Lizbeth Noemí Inés Zoila Belkis
		Yanet Yusleidy Luz Gloria Martha Teresa Beatriz Claudia Mónica Andrea Paola Natalia Carolina Adriana
		Diana Johana Yessica Milagros Esperanza Dolores Consuelo Rocío Marisol Nayeli Itzel Yamileth Brenda
		Jennifer Génesis Fabiola Vanessa Maite Yaneth Yelitza Norelys Oriana Greisy Anyelis Rosmery`)
	spanishS := split(`García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres Flores Rivera
		Gómez Díaz Reyes Morales Cruz Ortiz Gutiérrez Chávez Ramos Ruiz Jiménez Mendoza Álvarez Castillo Romero
		Vargas Herrera Medina Aguilar Castro Vásquez Guzmán Fernández Muñoz Rojas Moreno Salazar Suárez Quintero
		Zambrano Villanueva Peña Ávila Navarro Domínguez Ríos Cabrera Escobar Orellana Mejía Barrios Cárdenas
		Maldonado Velásquez Quispe Mamani Huamán Benítez Bermúdez Ibarra Zúñiga Valencia Hidalgo Cordero Paredes
		Montoya Guerrero Acosta Betancourt Osorio Londoño Arango Marín Giraldo Cifuentes Ocampo Jaramillo Henao
		Yépez Villalobos Guevara Bolívar Sequera Colmenares Urdaneta Contreras Figueroa Fuentes Molina Delgado
		Campos Vega Sandoval Cortés Espinoza Carrillo Lara Soto Núñez Rosales Pineda Estrada Ponce Cervantes
		Galindo Miranda Luna Rosario Chacón Tovar Pacheco Araujo Solano Bonilla Portillo Lemus Ayala Hurtado`)
	spanishTail := combine(
		split(`Alba Alta Bal Bar Bel Ber Cal Cam Car Cas Cor Cue Es Fer Gal Gar Gue Ibar Lar Lo Mal Mar Mon Nav
			Ol Or Pal Par Pi Quin Ram Rin Sal San Sar Ter Tor Val Var Ver Vi Zam Zu Ech Arre Men Ur Aban Solór
			Agu Bus Cha Dur Eche Gam Hur Iri Lan Mej Nie Oca Pan Que Riv Seg Tam Ull Vel Yan`),
		split(`ada ado aga al an ano ar ares ate ero eros ez ia ido illa illo ino iz ola on ona ora os ote uela uri
			aza edo ueta ena ardo endi ibar oya umbe`))
	spanishGivenTailM := combine(split(`Yei Da Ke Jho Bra Dei Yu Wil Jef Eli Ar Ed Fra Mi Ni Yor Dar Jai Ro Ken`),
		split(`son ner ley fer mar dan uel ix ton wis vin`))
	spanishGivenTailF := combine(split(`Yu Ma Lei Dei Ya Ke Ro An Ny Mi Ze Yes Dar Ge Ya Li`),
		split(`lis rani sy lena mara lina ana elle neth lys dy mila`))

	haitianM := split(`Jean Pierre Joseph Jacques Wilson Claude Jimmy Stanley Fritznel Rodelin Frantz Mackenson
		Yvenel Dieudonné Junior Évens Lucien Emmanuel Ronald Nixon Kervens Woodley Wilner Jean-Claude Jean-Robert
		Paul Louis Michel Marc Ricardo Samuel Daniel Roosevelt Jonas Widner Ernst Fritz Gérald Guy Patrick`)
	haitianF := split(`Marie Rose Mireille Nadège Lovely Widline Guerline Wisline Esther Fabiola Nathalie Roseline
		Marlène Jocelyne Ginette Claudette Jeanine Mirlande Nadia Sandra Yolette Marie-Rose Marie-Claude Judith
		Darline Fabienne Josette Lourdes Magalie Rachelle Sherline Taïna Vanessa Wideline Youseline Islande`)
	haitianS := split(`Jean-Baptiste Pierre Joseph Louis Charles Jean Saint-Fleur Saint-Louis Désir Dorvil Exantus
		Fils-Aimé Augustin Baptiste Célestin Noël Étienne Alexis Dorsainvil Toussaint Michel François Jacques
		Valcourt Casséus Lafortune Estimé Delva Bellegarde Jean-Louis Metellus Petit-Frère Laguerre Dieujuste
		Thélusma Paul Jeune Lundi Philippe Pierre-Louis Georges Bien-Aimé Desrosiers Jean-Pierre Joachim Romain
		Sanon Vincent Compère Lamour Antoine Cadet Derisma Dorélien Guerrier Innocent Janvier`)
	haitianTail := combine(split(`Ben Bel Cha Dor Dul Fé Fle Jo La Lou Ma Mo Pé Ré Se Sy Va Vil Der Or Aug Bor Cad
			Clé Dam Dés Éli Fra Gué Hyp Jul Lam Luc Mé Nap Oré Pol Sain Tél Ulys Ver`),
		split(`céus lien lus mar rilus sius tel val zin vil ssaint rond tus ma vert dor jour lème nord phin
			sile ton toine zard`))
	haitianGivenTailM := combine(split(`Wid Kerv Fritz Jean Lov Mack Wood Ric Kes Yv Dar Ger Jud Mil Ron Sten Wil Ya`),
		split(`ens ner son ley el dy ky lin`))
	haitianGivenTailF := combine(split(`Wid Guer Wis Sher Mir Dar Lov Nad Yv Ros Ber Chri Fed Jes Lou Mag Nel Ti`),
		split(`line lande ette lyne ie na sie nise`))

	portugueseM := split(`João Antônio Francisco Carlos Paulo Pedro Lucas Luiz Marcos Luís Gabriel Rafael Daniel
		Marcelo Bruno Eduardo Felipe Raimundo Rodrigo Manoel Mateus André Fernando Fábio Leonardo Gustavo`)
	portugueseF := split(`Maria Ana Francisca Antônia Adriana Juliana Márcia Fernanda Patrícia Aline Sandra Camila
		Amanda Bruna Jéssica Letícia Júlia Luciana Vanessa Mariana Gabriela Conceição Raimunda Sebastiana`)
	portugueseS := split(`Silva Santos Oliveira Souza Pereira Costa Ferreira Almeida Carvalho Gonçalves Ribeiro Lima
		Araújo Rodrigues Gomes Martins Rocha Alves Barbosa Dias Nascimento Moreira Cardoso Teixeira Correia Mendes
		Nunes Soares Vieira Monteiro Freitas Machado Cavalcanti Azevedo Moura Pinto Batista Campos Lopes Fonseca`)
	portugueseTail := combine(split(`Bar Cas Fer Lou Mar Per Sal Ter Val Vas Far Bran Coe Mace Pai Ama Bel Cou
			Dam Esp Fig Gui Lei Mag Nog Par Que Ros Sam Tav Vil`),
		split(`reto tanho reira sada rão eiro inho ães ota ugal ande`))

	return []culture{
		{
			weight: 0.65, twoSurnames: true, docPrefix: "V", secondGivenPct: 0.5,
			givenM: newPool(spanishM, spanishGivenTailM, 0.8), givenF: newPool(spanishF, spanishGivenTailF, 0.8),
			surnames:   newPool(spanishS, spanishTail, 0.5),
			nats:       []string{"VE", "CO", "GT", "HN", "SV", "NI", "MX", "CU", "EC", "PE"},
			natWeights: []float64{35, 10, 12, 12, 6, 5, 8, 7, 5, 3},
		},
		{
			weight: 0.25, docPrefix: "HT", secondGivenPct: 0.4,
			givenM: newPool(haitianM, haitianGivenTailM, 0.8), givenF: newPool(haitianF, haitianGivenTailF, 0.8),
			surnames: newPool(haitianS, haitianTail, 0.5),
			nats:     []string{"HT"}, natWeights: []float64{1},
		},
		{
			weight: 0.10, twoSurnames: true, docPrefix: "FB", secondGivenPct: 0.4,
			givenM: newPool(portugueseM, spanishGivenTailM, 0.85), givenF: newPool(portugueseF, spanishGivenTailF, 0.85),
			surnames: newPool(portugueseS, portugueseTail, 0.5),
			nats:     []string{"BR"}, natWeights: []float64{1},
		},
	}
}()

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func pickWeighted(r *rand.Rand, w []float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	x := r.Float64() * sum
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}

// synthetic is generated registrations and the pairs known to be the same
// person: an original and its duplicates, and duplicates of the same
// original with each other.
type synthetic struct {
	people []Person
	truth  map[[2]string]bool
}

func orderedPair(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

// generate makes n people: n/1.05 registered once, and a duplicate for 5%
// of them, each in another household.
func generate(n int, seed uint64) synthetic {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	originals := int(float64(n) / 1.05)
	people := make([]Person, 0, n)
	households := 0
	docSeq := 1000000
	cultureWeights := make([]float64, len(cultures))
	for i, c := range cultures {
		cultureWeights[i] = c.weight
	}
	for len(people) < originals {
		c := &cultures[pickWeighted(r, cultureWeights)]
		households++
		hh := "h" + strconv.Itoa(households)
		nat := c.nats[pickWeighted(r, c.natWeights)]
		size := 1 + pickWeighted(r, []float64{30, 20, 20, 15, 10, 5})
		doc := func(adult bool) []string {
			pct := 0.2
			if adult {
				pct = 0.6
			}
			if r.Float64() >= pct {
				return nil
			}
			docSeq += 1 + r.IntN(500)
			return []string{c.docPrefix + strconv.Itoa(docSeq)}
		}
		person := func(sex string, surnames []string, year int) Person {
			given := c.givenF
			if sex == "M" {
				given = c.givenM
			}
			names := []string{given.draw(r)}
			if r.Float64() < c.secondGivenPct {
				if second := given.draw(r); second != names[0] {
					names = append(names, second)
				}
			}
			p := Person{
				ID: "p" + strconv.Itoa(len(people)), HouseholdID: hh,
				GivenNames: names, Surnames: surnames, BirthDate: randomDate(r, year),
				Sex: sex, Nationalities: []string{nat}, DocumentNumbers: doc(year < 2008),
			}
			if r.Float64() < 0.05 {
				p.BirthDate = p.BirthDate[:4]
			}
			return p
		}
		surnames := func() []string {
			s := []string{c.surnames.draw(r)}
			if c.twoSurnames {
				s = append(s, c.surnames.draw(r))
			}
			return s
		}
		headSex := pick(r, []string{"M", "F"})
		head := person(headSex, surnames(), 1960+r.IntN(47))
		people = append(people, head)
		fatherSurname, motherSurname := head.Surnames[0], head.Surnames[0]
		hasSpouse := size >= 2 && r.Float64() < 0.6
		if hasSpouse {
			spouseSex := "F"
			if headSex == "F" {
				spouseSex = "M"
			}
			y, _ := strconv.Atoi(head.BirthDate[:4])
			spouse := person(spouseSex, surnames(), max(1955, min(2006, y-5+r.IntN(11))))
			people = append(people, spouse)
			if spouseSex == "M" {
				fatherSurname = spouse.Surnames[0]
			} else {
				motherSurname = spouse.Surnames[0]
			}
			size--
		}
		var lastChild *Person
		for k := 1; k < size && len(people) < originals; k++ {
			var s []string
			switch {
			case c.twoSurnames && c.docPrefix == "FB":
				s = []string{motherSurname, fatherSurname}
			case c.twoSurnames:
				s = []string{fatherSurname, motherSurname}
			default:
				s = []string{fatherSurname}
			}
			child := person(pick(r, []string{"M", "F"}), s, 2008+r.IntN(18))
			if lastChild != nil && r.Float64() < 0.05 {
				child.BirthDate = lastChild.BirthDate // twins
			}
			if child.Sex == headSex && r.Float64() < 0.03 {
				child.GivenNames = append([]string(nil), head.GivenNames...) // named after a parent
			}
			people = append(people, child)
			lastChild = &people[len(people)-1]
		}
	}
	truth := map[[2]string]bool{}
	copies := map[string][]string{} // original ID -> duplicate IDs
	for len(people) < n {
		orig := people[r.IntN(originals)]
		if len(copies[orig.ID]) > 0 && r.Float64() < 0.9 {
			continue // most people are registered at most twice
		}
		dup := perturb(r, orig)
		dup.ID = "p" + strconv.Itoa(len(people))
		if r.Float64() < 0.5 {
			households++
			dup.HouseholdID = "h" + strconv.Itoa(households)
		} else {
			for {
				dup.HouseholdID = people[r.IntN(originals)].HouseholdID
				if dup.HouseholdID != orig.HouseholdID {
					break
				}
			}
		}
		truth[orderedPair(orig.ID, dup.ID)] = true
		for _, other := range copies[orig.ID] {
			truth[orderedPair(other, dup.ID)] = true
		}
		copies[orig.ID] = append(copies[orig.ID], dup.ID)
		people = append(people, dup)
	}
	// Shuffle so that duplicates are not all at the end.
	r.Shuffle(len(people), func(i, j int) { people[i], people[j] = people[j], people[i] })
	return synthetic{people: people, truth: truth}
}

func randomDate(r *rand.Rand, year int) string {
	d := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(365))
	return d.Format(time.DateOnly)
}

// perturb returns a second registration of p, altered 1 to 3 ways.
func perturb(r *rand.Rand, p Person) Person {
	d := Person{
		GivenNames: append([]string(nil), p.GivenNames...), Surnames: append([]string(nil), p.Surnames...),
		BirthDate: p.BirthDate, Sex: p.Sex, Nationalities: append([]string(nil), p.Nationalities...),
	}
	if r.Float64() < 0.35 {
		d.DocumentNumbers = append([]string(nil), p.DocumentNumbers...)
	}
	ops := []func() bool{
		func() bool { // typo in a given name
			i := r.IntN(len(d.GivenNames))
			d.GivenNames[i] = typo(r, d.GivenNames[i])
			return true
		},
		func() bool { // typo in a surname
			i := r.IntN(len(d.Surnames))
			d.Surnames[i] = typo(r, d.Surnames[i])
			return true
		},
		func() bool { // surnames swapped
			if len(d.Surnames) < 2 {
				return false
			}
			d.Surnames[0], d.Surnames[1] = d.Surnames[1], d.Surnames[0]
			return true
		},
		func() bool { // second surname missing
			if len(d.Surnames) < 2 {
				return false
			}
			d.Surnames = d.Surnames[:1]
			return true
		},
		func() bool { // middle name missing
			if len(d.GivenNames) < 2 {
				return false
			}
			d.GivenNames = d.GivenNames[:1]
			return true
		},
		func() bool { // another spelling
			names := d.Surnames
			if r.IntN(2) == 0 {
				names = d.GivenNames
			}
			i := r.IntN(len(names))
			s, ok := respell(r, names[i])
			names[i] = s
			return ok
		},
		func() bool { // birth date partial
			if len(d.BirthDate) < 10 {
				return false
			}
			if r.IntN(2) == 0 {
				d.BirthDate = d.BirthDate[:4]
			} else {
				d.BirthDate = d.BirthDate[:7]
			}
			return true
		},
		func() bool { // birth date mistyped
			if len(d.BirthDate) < 10 {
				return false
			}
			d.BirthDate = mistypeDate(r, d.BirthDate)
			return true
		},
		func() bool { // sex not recorded
			d.Sex = ""
			return true
		},
	}
	weights := []float64{3, 3, 2, 2, 1.5, 3, 2, 1.5, 0.5}
	k := 1 + r.IntN(3)
	for done := 0; done < k; {
		i := pickWeighted(r, weights)
		if ops[i]() {
			done++
		}
	}
	if r.Float64() < 0.4 {
		for i := range d.GivenNames {
			d.GivenNames[i] = dropAccents(d.GivenNames[i])
		}
		for i := range d.Surnames {
			d.Surnames[i] = dropAccents(d.Surnames[i])
		}
	}
	if r.Float64() < 0.2 {
		for i := range d.GivenNames {
			d.GivenNames[i] = strings.ToUpper(d.GivenNames[i])
		}
		for i := range d.Surnames {
			d.Surnames[i] = strings.ToUpper(d.Surnames[i])
		}
	}
	return d
}

// typo makes one keyboard slip after the first letter: a letter replaced,
// dropped, doubled or two letters swapped.
func typo(r *rand.Rand, s string) string {
	rs := []rune(s)
	if len(rs) < 4 {
		return s
	}
	i := 1 + r.IntN(len(rs)-2)
	letters := []rune("abcdefghijklmnoprstuvyz")
	switch r.IntN(4) {
	case 0:
		rs[i] = pick(r, letters)
	case 1:
		rs = append(rs[:i], rs[i+1:]...)
	case 2:
		rs = append(rs[:i+1], rs[i:]...)
	default:
		rs[i], rs[i+1] = rs[i+1], rs[i]
	}
	return string(rs)
}

// spellings are other ways the same names get written.
var spellings = [][2]string{
	{"y", "i"}, {"i", "y"}, {"v", "b"}, {"b", "v"}, {"z", "s"}, {"s", "z"}, {"ll", "y"}, {"ph", "f"},
	{"ss", "s"}, {"nn", "n"}, {"tt", "t"}, {"rr", "r"}, {"ck", "k"}, {"qu", "k"}, {"ou", "w"}, {"eau", "o"},
	{"oi", "wa"}, {"ç", "s"}, {"é", "e"}, {"è", "e"}, {"x", "j"}, {"h", ""}, {"th", "t"}, {"ie", "ye"},
	{"-", " "}, {"-", ""}, {"saint-", "st "}, {"jean-", "jn "}, {"ez", "es"}, {"es", "ez"}, {"j", "y"},
}

func respell(r *rand.Rand, s string) (string, bool) {
	lower := strings.ToLower(s)
	start := r.IntN(len(spellings))
	for k := range spellings {
		sp := spellings[(start+k)%len(spellings)]
		if i := strings.Index(lower, sp[0]); i >= 0 {
			out := lower[:i] + sp[1] + lower[i+len(sp[0]):]
			return titleCase(out), true
		}
	}
	return s, false
}

func titleCase(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if up {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(r)
		}
		up = r == ' ' || r == '-'
	}
	return b.String()
}

func dropAccents(s string) string {
	if isPlainASCII(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case strings.ContainsRune("áàâäã", r):
			b.WriteByte('a')
		case strings.ContainsRune("ÁÀÂÄÃ", r):
			b.WriteByte('A')
		case strings.ContainsRune("éèêë", r):
			b.WriteByte('e')
		case strings.ContainsRune("ÉÈÊË", r):
			b.WriteByte('E')
		case strings.ContainsRune("íìîï", r):
			b.WriteByte('i')
		case strings.ContainsRune("ÍÌÎÏ", r):
			b.WriteByte('I')
		case strings.ContainsRune("óòôöõ", r):
			b.WriteByte('o')
		case strings.ContainsRune("ÓÒÔÖÕ", r):
			b.WriteByte('O')
		case strings.ContainsRune("úùûü", r):
			b.WriteByte('u')
		case strings.ContainsRune("ÚÙÛÜ", r):
			b.WriteByte('U')
		case r == 'ñ':
			b.WriteByte('n')
		case r == 'Ñ':
			b.WriteByte('N')
		case r == 'ç':
			b.WriteByte('c')
		case r == 'Ç':
			b.WriteByte('C')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mistypeDate swaps day and month, moves the day by one, or changes one
// digit of the year, keeping a valid date.
func mistypeDate(r *rand.Rand, s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	switch r.IntN(3) {
	case 0:
		if t.Day() <= 12 && t.Day() != int(t.Month()) {
			return time.Date(t.Year(), time.Month(t.Day()), int(t.Month()), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		}
		return t.AddDate(0, 0, 1).Format(time.DateOnly)
	case 1:
		return t.AddDate(0, 0, pick(r, []int{-1, 1})).Format(time.DateOnly)
	default:
		y := t.Year() + pick(r, []int{-1, 1, 10, -10})
		return strconv.Itoa(y) + s[4:]
	}
}

type quality struct {
	truePos, falsePos, falseNeg int
	precision, recall           float64
}

func evaluate(pairs []Pair, truth map[[2]string]bool) quality {
	var q quality
	for _, p := range pairs {
		if truth[[2]string{p.A, p.B}] {
			q.truePos++
		} else {
			q.falsePos++
		}
	}
	q.falseNeg = len(truth) - q.truePos
	if len(pairs) > 0 {
		q.precision = float64(q.truePos) / float64(len(pairs))
	}
	if len(truth) > 0 {
		q.recall = float64(q.truePos) / float64(len(truth))
	}
	return q
}
