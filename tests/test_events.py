"""The event catalog: ACLED-aligned types with phrases in four languages, extended by the
user's events.yaml, matched by the rule machinery (events_in agrees with `events:` rules),
firing on real-style reporting and not on the words' other meanings."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from monitor.catalog.eventfiles import MAX_FILE_BYTES, MAX_PHRASE_CHARS, MAX_PHRASES, events_schema
from monitor.catalog.events import (
    REQUIRED_LANGUAGES,
    CatalogError,
    EventCatalog,
    events_in,
    shipped_events,
)
from monitor.catalog.events import SHIPPED as SHIPPED_FILE
from monitor.match import Matcher
from monitor.match.spec import RuleSpec, Term
from monitor.records import Document

SHIPPED = shipped_events()

SCORED = {  # the five types the bench scores, with ACLED's coding of each
    "airstrike": ("Explosions/Remote violence", "Air/drone strike"),
    "shelling": ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    "armed clash": ("Battles", "Armed clash"),
    "suicide bombing": ("Explosions/Remote violence", "Suicide bomb"),
    "abduction": ("Violence against civilians", "Abduction/forced disappearance"),
}


def rule_for(*events: str, catalog: EventCatalog = SHIPPED, name: str = "R") -> RuleSpec:
    terms: list[Term] = []
    for event in events:
        terms.extend(catalog.terms(event))
    return RuleSpec(watchlist="w", name=name, events=tuple(terms))


def fires(rule: RuleSpec, text: str, title: str = "") -> bool:
    return bool(Matcher.compile([rule]).match(Document(title, text)))


def test_the_shipped_catalog_has_the_five_scored_types_coded_as_acled_codes_them():
    for name, (event_type, sub_event_type) in SCORED.items():
        known = SHIPPED.get(name)
        assert (known.name, known.event_type, known.sub_event_type) == (
            name, event_type, sub_event_type)


@pytest.mark.parametrize("name", SHIPPED.names())
def test_every_shipped_type_has_phrases_in_english_arabic_french_and_turkish(name: str):
    known = SHIPPED.get(name)
    missing = [lang for lang in REQUIRED_LANGUAGES if lang not in known.languages()]
    assert not missing, f"{name} has no phrases in {missing}"
    assert known.event_type and known.sub_event_type, f"{name} has no ACLED coding"


@pytest.mark.parametrize("name", SHIPPED.names())
def test_every_shipped_phrase_finds_itself_as_its_own_type(name: str):
    """A phrase its own excepts hide, or one the folding cannot find as written, is dead
    weight: written out as a sentence, each phrase must be found as its type."""
    known = SHIPPED.get(name)
    dead = [p for p in known.all_phrases()
            if name not in events_in(f"Reports: {p.rstrip('*')} today.")]
    assert not dead


@pytest.mark.parametrize("text", [
    "Russian warplanes struck a crowded market in Maarat al-Numan on Tuesday, rescuers said.",
    "Government helicopters dropped barrel bombs on Daraya overnight.",
    "قُتل 12 مدنياً على الأقل في غارات جوية شنتها طائرات روسية على سوق معرة النعمان.",
    "وشنّ الطيران الحربي غارة على بلدة سرمين في ريف إدلب.",
    "Des frappes aériennes russes ont tué au moins douze civils mardi à Maaret al-Nouman.",
    "Un raid aérien a visé un hôpital de la province d'Idleb.",
    "Rus savaş uçaklarının İdlib'e düzenlediği hava saldırısında 12 sivil hayatını kaybetti.",
    "Rejim güçleri Halep kırsalına hava saldırıları düzenledi.",
])
def test_an_airstrike_rule_fires_on_air_strikes_reported_in_four_languages(text: str):
    assert fires(rule_for("airstrike"), text)


@pytest.mark.parametrize("text", [
    "Thousands of workers went on strike in Damascus over unpaid wages.",
    "A general strike closed shops in Qamishli; a hunger strike entered its tenth day.",
    "Air raid sirens were tested across the city on Sunday; no attack took place.",
    "The opposition and the government agreed on an air raid shelter programme.",
    "نفذ العمال إضرابا عن العمل في دمشق احتجاجا على الأجور.",
    "Les cheminots sont en grève depuis lundi.",
    "İşçiler ücretlerin ödenmemesi üzerine greve gitti.",
])
def test_an_airstrike_rule_does_not_fire_on_strikes_by_workers_or_sirens(text: str):
    assert not fires(rule_for("airstrike"), text)


@pytest.mark.parametrize("event, text", [
    ("armed clash", "Fierce clashes erupted between the SDF and Turkish-backed factions."),
    ("armed clash", "اندلعت اشتباكات عنيفة بين قوات النظام وفصائل المعارضة في ريف حماة."),
    ("armed clash", "De violents combats opposent l'armée aux rebelles près de Hama."),
    ("armed clash", "Tel Rıfat'ta YPG ile muhalifler arasında çatışma çıktı."),
    ("shelling", "Regime forces shelled the town of Kafr Nabl with artillery."),
    ("shelling", "سقطت قذائف هاون على حي باب توما في دمشق."),
    ("shelling", "Des tirs d'artillerie ont visé la ville de Douma."),
    ("shelling", "Rejim güçleri Cisr eş-Şuğur'a topçu atışı yaptı."),
    ("suicide bombing", "A suicide bomber blew himself up at a checkpoint near Azaz."),
    ("suicide bombing", "فجر انتحاري نفسه بحزام ناسف عند حاجز في أعزاز."),
    ("suicide bombing", "Un kamikaze s'est fait exploser à un barrage près d'Azaz."),
    ("suicide bombing", "Azez yakınlarında bir canlı bomba kendini patlattı."),
    ("abduction", "Gunmen kidnapped two aid workers on the road to Idlib."),
    ("abduction", "اختطف مسلحون مجهولون طفلا في مدينة الباب."),
    ("abduction", "Deux humanitaires ont été enlevés par des hommes armés près d'Idleb."),
    ("abduction", "İdlib yolunda iki yardım görevlisi kaçırıldı."),
])
def test_the_scored_types_fire_on_real_style_sentences_in_each_language(event: str, text: str):
    assert fires(rule_for(event), text)


@pytest.mark.parametrize("event, text", [
    ("armed clash", "The talks ended in a clash of opinions over the constitution."),
    ("armed clash", "The minister and the envoy had a verbal clash over the agenda."),
    ("shelling", "Gulf investors are shelling out billions for Damascus real estate."),
    ("shelling", "The bricks and mortar of the old souk were restored."),
    ("abduction", "L'enlèvement des ordures a repris à Alep."),
    ("abduction", "خطف المنتخب السوري الفوز في الدقيقة الأخيرة."),
    ("abduction", "Milli takımın yıldızı son dakikada penaltı kaçırdı."),
    ("agreement", "Both sides accused each other of ceasefire violations."),
    ("grenade", "Police fired stun grenades and tear gas at the crowd."),
    ("riot", "Riot police were deployed outside the parliament."),
])
def test_words_with_another_meaning_do_not_fire_the_type(event: str, text: str):
    assert not fires(rule_for(event), text)


def test_a_car_bomb_is_a_remote_explosive_and_a_suicide_car_bomb_a_suicide_bombing():
    car = "A car bomb exploded near a mosque in Azaz, killing five."
    suicide = "A suicide car bomb exploded at a checkpoint near Azaz, killing five."
    assert set(events_in(car)) == {"remote explosive"}
    assert set(events_in(suicide)) == {"suicide bombing"}


def test_a_plain_keyword_keeps_its_hits_inside_an_except_of_an_event_phrase():
    """The excepts hide hits of the event phrase only: a rule of keywords that names the same
    words finds them everywhere, even compiled with an events rule."""
    keyword = RuleSpec(watchlist="w", name="car bombs", keywords=("car bomb",))
    events = rule_for("remote explosive", name="remote")
    matcher = Matcher.compile([keyword, events])
    fired = matcher.match(Document("", "A suicide car bomb hit the checkpoint."))
    assert [m.rule for m in fired] == ["car bombs"]


@pytest.mark.parametrize("text", [
    "Russian warplanes struck Idlib as clashes raged and gunmen kidnapped a doctor.",
    "غارات جوية وقصف مدفعي على ريف إدلب واشتباكات عنيفة في ريف حلب",
    "Un attentat-suicide et des tirs de roquettes ont frappé Afrin.",
    "Nothing happened today in the market.",
])
def test_events_in_agrees_with_rules_that_name_each_type(text: str):
    rules = [rule_for(name, name=name) for name in SHIPPED.names()]
    fired = {m.rule for m in Matcher.compile(rules).match(Document("", text))}
    assert set(events_in(text)) == fired


def test_events_in_reports_the_phrases_found_for_each_type():
    found = events_in("Warplanes struck Atarib while rebels and the army exchanged fire.")
    assert found["airstrike"] == ("warplanes struck",)
    assert found["armed clash"] == ("exchanged fire",)


def test_a_rule_may_name_a_type_by_alias_or_acled_sub_event_type():
    for name in ("air raid", "Air/drone strike", "AIRSTRIKE"):
        assert SHIPPED.get(name).name == "airstrike"
    assert SHIPPED.get("kidnapping").name == "abduction"


def test_an_unknown_type_is_refused_with_a_suggestion():
    with pytest.raises(LookupError, match="did you mean 'shelling'"):
        SHIPPED.terms("shellings")
    with pytest.raises(LookupError, match="known event types: airstrike"):
        SHIPPED.terms("zzzz qqqq")


def write(folder: Path, text: str) -> Path:
    path = folder / "events.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_user_file_adds_phrases_languages_and_types_and_removes_phrases(tmp_path: Path):
    catalog = EventCatalog.load(write(tmp_path, """
air raid:                      # a known type, by alias
  phrases:
    en: [jets hit the town]
    de: [Luftangriff, Luftangriffe]
  remove: [warplanes]
siege:
  acled: {event_type: Strategic developments, sub_event_type: Other}
  phrases: {en: [besieged, under siege], ar: [حصار]}
"""))
    assert "siege" in catalog.names()
    assert set(events_in("Jets hit the town at dawn.", catalog)) == {"airstrike"}
    assert set(events_in("Neue Luftangriffe auf Idlib.", catalog)) == {"airstrike"}
    assert "airstrike" not in events_in("Warplanes were heard over Idlib.", catalog)
    assert "airstrike" in events_in("Warplanes were heard over Idlib.")  # the shipped one
    assert set(events_in("The besieged town of Madaya", catalog)) == {"siege"}
    assert "air raid" in catalog.get("airstrike").aliases  # the shipped entry kept


def test_replace_starts_an_entry_over(tmp_path: Path):
    catalog = EventCatalog.load(write(tmp_path, """
shelling: {replace: true, phrases: {en: [shelled]}}
"""))
    assert catalog.get("shelling").all_phrases() == ("shelled",)
    assert "shelling" not in events_in("Artillery fire hit Douma.", catalog)


@pytest.mark.parametrize("text, where, message", [
    ("airstrike:\n  phrase: {en: [x]}\n", "events.yaml:2:3:", "unknown key 'phrase'"),
    ("airstrike:\n  phrases:\n    english: [jets]\n", "events.yaml:3:5:",
     "'english' is not a language code"),
    ("airstrike:\n  phrases:\n    en: [jets, '[Aa]ir raid']\n", "events.yaml:3:16:",
     "regular-expression syntax"),
    ("siege:\n  acled: {event: Other}\n", "events.yaml:2:11:", "unknown key 'event'"),
    ("siege: [besieged]\n", "events.yaml:1:8:", "expected a mapping"),
    ("airstrike:\n  replace: yes please\n", "events.yaml:2:12:", "replace: expects true"),
])
def test_mistakes_in_the_user_file_are_errors_at_their_line(tmp_path: Path, text: str,
                                                          where: str, message: str):
    with pytest.raises(CatalogError) as caught:
        EventCatalog.load(write(tmp_path, text))
    problems = [str(p) for p in caught.value.problems]
    assert any(p.split(" ", 1)[0].endswith(where) and message in p for p in problems), problems


def test_an_oversized_user_file_is_refused_before_it_is_parsed(tmp_path: Path):
    path = write(tmp_path, "# " + "x" * MAX_FILE_BYTES + "\n")
    with pytest.raises(CatalogError, match="at most"):
        EventCatalog.load(path)


def test_short_phrases_match_only_as_written():
    """IED (three letters) is looked for in capitals: "ied" is no word, but neither is a
    lower-case hit an IED."""
    assert "remote explosive" in events_in("An IED hit a patrol near Deraa.")
    assert "remote explosive" not in events_in("the ied was written in lower case")


def test_turkish_phrases_match_headlines_in_capitals_and_text_without_turkish_letters():
    for text in ("SON DAKİKA: İDLİB'E HAVA SALDIRISI", "Idlib'e hava saldirisi duzenlendi"):
        assert "airstrike" in events_in(text), text


def test_the_shipped_catalog_passes_the_events_file_schema():
    data = yaml.safe_load(SHIPPED_FILE.read_text(encoding="utf-8"))
    jsonschema.validate(data, events_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"airstrike": {"phrase": {"en": ["x"]}}}, events_schema())


def test_too_many_phrases_or_an_overlong_phrase_are_refused_at_their_entry(tmp_path: Path):
    many = ", ".join(f"w{i}" for i in range(MAX_PHRASES + 1))
    with pytest.raises(CatalogError, match=f"at most {MAX_PHRASES} per event type"):
        EventCatalog.load(write(tmp_path, f"siege:\n  phrases: {{en: [{many}]}}\n"))
    long = "x" * (MAX_PHRASE_CHARS + 1)
    with pytest.raises(CatalogError, match=r"events\.yaml:2:\d+: en: a phrase of"):
        EventCatalog.load(write(tmp_path, f"siege:\n  phrases: {{en: [{long}]}}\n"))


@pytest.mark.parametrize("text", [
    "Teachers' strikes against austerity closed schools in Beirut.",
    "Rebels shot down a government warplane over Hama and captured its pilot.",
    "The Syrian army denied that its warplanes flew over the border.",
])
def test_an_airstrike_rule_does_not_fire_on_strikes_against_policies_or_downed_jets(text: str):
    assert not fires(rule_for("airstrike"), text)


def test_events_in_lists_types_in_catalog_order():
    found = events_in("Kidnappers seized a doctor; clashes followed; warplanes struck.")
    assert list(found) == [n for n in SHIPPED.names() if n in found]
    assert list(found)[:2] == ["airstrike", "armed clash"]
