Feature: Dose, who and where (layer 7: knowledge_base/rules/dose.yaml)
  Regulating activities are brief and frequent, in daily life, by the people around
  the child; relating is daily; reasoning work happens in weekly sessions;
  enrichment a few times a week.

  @rule:DOSE-001
  Scenario Outline: Each step gets its phase's dose
    Given a 9-year-old with region scores brainstem 9, diencephalon 9, limbic 6, cortex 7
    And the team is "parent, teacher, therapist"
    When seqplan plans the assessment
    Then rule "DOSE-001" fires
    And "<activity>" is a step in the "<phase>" phase
    And "<activity>" cites rule "DOSE-001"
    And "<activity>" is done "<frequency>" for "<minutes>" minutes

    Examples:
      | activity     | phase    | frequency                                        | minutes |
      | drumming     | regulate | 5-6 times a day, every day                       | 7-10    |
      | play_therapy | relate   | daily, plus weekly sessions where a therapist leads it | 15-30   |
      | storytelling | reason   | weekly sessions, practised between sessions      | 30-50   |

  @rule:DOSE-001
  Scenario: Enrichment for a typical child is a few times a week
    Given a 9-year-old with every region scored 12
    When seqplan plans the assessment
    Then "drumming" is a step in the "enrich" phase
    And "drumming" is done "2-3 times a week" for "30-60" minutes
    And the dose of "drumming" says "caregivers, teachers, coaches and mentors"

  @rule:DOSE-001
  Scenario: The dose happens where the family says activities can happen, with the team's adults
    Given a 6-year-old with region scores brainstem 6, diencephalon 6, limbic 9, cortex 9
    And the team is "dad"
    And activities can happen at "home"
    When seqplan plans the assessment
    Then "drumming" is delivered by "caregiver"
    And "drumming" happens at "home"
    And the dose of "drumming" says "5-6 times a day, every day, 7-10 minutes, by caregivers and teachers"
