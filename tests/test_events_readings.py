"""Event readings beyond fixed phrases: an aircraft near its attack verb is an air strike, a
non-state armed group holding people is an abduction, and the cues that make a clash or an
abduction word background (suspected of, years of, a feared renewal)."""

from __future__ import annotations

import pytest

from monitor.catalog.events import events_in
from monitor.facts.aerial import air_attacks
from monitor.facts.seizures import abductions


@pytest.mark.parametrize(
    "text",
    [
        "Syrian government aircraft later bombed the main square of Saraqeb.",
        "Two Russian jets carried out several raids on the outskirts of Jisr al-Shughur.",
        "An Israeli drone targeted a motorcycle on the road to Quneitra, killing its rider.",
        "أغارت المقاتلات الروسية على أطراف بلدة معرة مصرين.",
        "Des avions russes ont visé un hôpital de campagne près d'Atareb.",
        "Rejim helikopterleri Dera kırsalını varil bombalarıyla vurdu.",
    ],
)
def test_an_aircraft_near_its_attack_verb_is_an_air_strike(text: str) -> None:
    assert air_attacks(text)
    assert "airstrike" in events_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "Rebels shot down a government helicopter that had bombed the town.",
        "Russian jets flew over Idlib at low altitude on Tuesday.",
        "Turkey deployed more drones to its bases near the border.",
        "Two suicide bombers struck a checkpoint in the city.",
    ],
)
def test_an_aircraft_shot_down_flying_over_or_sent_or_a_suicide_bomber_is_no_air_strike(
    text: str,
) -> None:
    assert not air_attacks(text)


def test_a_denied_aircraft_strike_is_not_recorded() -> None:
    text = "The ministry rejected claims that its warplanes had bombed the market."
    assert "airstrike" not in events_in(text)


def test_missiles_met_by_air_defences_are_the_air_strikes_weapons_not_shelling() -> None:
    text = (
        "Israel struck positions south of Homs overnight, state media said, adding that air "
        "defences shot down several of the missiles."
    )
    assert set(events_in(text)) >= {"airstrike"}
    assert "shelling" not in events_in(text)


def test_rockets_fired_with_no_air_strike_stay_shelling() -> None:
    text = "Air defences intercepted rockets fired at the base, the coalition said."
    assert "shelling" in events_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "Gunmen led away two engineers from the power station at gunpoint.",
        "Masked men dragged a pharmacist from his shop in Jasim.",
        "PKK/YPG, Münbiç'te 3 genci zorla götürdü.",
        "أفادت مصادر محلية باحتجاز ناشطين لدى هيئة تحرير الشام في إدلب.",
        "Two aid workers were detained by Islamic State militants near Mayadin.",
    ],
)
def test_people_led_away_or_held_by_an_armed_group_are_abducted(text: str) -> None:
    assert "abduction" in events_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "Police detained three men at a checkpoint in Homs.",
        "An Italian priest who had been held by militants for a year was released.",
        "Authorities arrested five people suspected of kidnapping a businessman in May.",
        "Security forces detained two militants in a raid on their hideout.",
    ],
)
def test_arrests_by_the_state_a_past_captivity_or_a_suspicion_is_no_abduction(
    text: str,
) -> None:
    assert "abduction" not in events_in(text)


def test_a_state_holding_militants_is_not_read_as_militants_holding_people() -> None:
    assert not abductions("Security forces detained two militants in a raid.")


@pytest.mark.parametrize(
    "text",
    [
        "Years of fighting have left the old city of Homs in ruins.",
        "Après des années de combats, la ville reste sans électricité.",
        "Yıllardır süren çatışmalar bölgeyi harabeye çevirdi.",
        "يخشى السكان من تجدد المعارك في ريف حلب الجنوبي.",
    ],
)
def test_fighting_as_a_span_of_the_past_or_a_feared_renewal_is_no_clash(text: str) -> None:
    assert "armed clash" not in events_in(text)


def test_fighting_reported_today_is_still_a_clash() -> None:
    text = "Heavy fighting broke out between the army and rebels near Kafr Nabuda on Monday."
    assert "armed clash" in events_in(text)


def test_civil_defence_is_no_air_defence() -> None:
    text = "قصفت المقاتلات الروسية البلدة بالصواريخ، بحسب الدفاع المدني."
    assert "airstrike" in events_in(text)
