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
      | drumming     | regulate | 1-2 brief moments a day in all                   | 5-10    |
      | play_therapy | relate   | daily, plus weekly therapist sessions if there is one | 15-30   |
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
    And the dose of "drumming" says "3-4 brief moments a day in all, every day, 5-10 minutes, by caregivers and teachers"

  @rule:DOSE-001
  Scenario Outline: A regulating step's dose follows the band of the region it targets
    Given a 7-year-old with region scores brainstem <score>, diencephalon 12, limbic 12, cortex 12
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then "drumming" is a step in the "regulate" phase
    And "drumming" is done "<frequency>" for "<minutes>" minutes

    Examples:
      | score | frequency                      | minutes |
      | 3     | 5-6 brief moments a day in all | 7-10    |
      | 6     | 3-4 brief moments a day in all | 5-10    |
      | 9     | 1-2 brief moments a day in all | 5-10    |

  @rule:DOSE-001
  Scenario: A teenager in fear with typical scores gets regulating steps at a regulating dose, not enrichment
    Given a 15-year-old with every region scored 12
    And the child's typical arousal is "fear"
    When seqplan plans the assessment
    Then the first step is in the "regulate" phase
    And "drumming" is a step in the "regulate" phase
    And "drumming" is done "3-4 brief moments a day in all" for "5-10" minutes

  @rule:STATE-006 @rule:DOSE-004
  Scenario: A child in alarm with mild scores gets the moderate regulating dose, not the mildest
    Given a 9-year-old with region scores brainstem 9, diencephalon 9, limbic 9, cortex 9
    And the child's typical arousal is "alarm"
    When seqplan plans the assessment
    Then rule "STATE-006" fires
    And "drumming" is a step in the "regulate" phase
    And "drumming" cites rule "DOSE-004"
    And "drumming" is done "3-4 brief moments a day in all" for "5-10" minutes

  @rule:STATE-006 @rule:DOSE-004 @must_not_fire
  Scenario: A calm child with mild scores builds up from 1-2 moments a day
    Given a 9-year-old with region scores brainstem 9, diencephalon 9, limbic 9, cortex 9
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then rule "STATE-006" does not fire
    And rule "DOSE-004" does not fire
    And "drumming" is done "1-2 brief moments a day in all" for "5-10" minutes

  @rule:DOSE-002
  Scenario: A step on a region too sparsely rated to band gets the middle dose
    Given a 6-year-old with every region scored 12
    And only 2 brainstem functions are rated
    And the child's typical arousal is "alarm"
    When seqplan plans the assessment
    Then rule "DOSE-002" fires
    And "drumming" is done "3-4 brief moments a day in all" for "5-10" minutes

  @rule:DOSE-002 @must_not_fire
  Scenario: Every region banded: no step needs the middle dose
    Given a 6-year-old with region scores brainstem 6, diencephalon 6, limbic 9, cortex 9
    When seqplan plans the assessment
    Then rule "DOSE-002" does not fire

  @rule:DOSE-001
  Scenario: Severe regions everywhere: the day stays within its limit, the regulating moments shared
    Given a 4-year-old with every region scored 2
    And the child's typical arousal is "alarm"
    And the child enjoys "dinosaurs, lego, trampolining"
    When seqplan plans the assessment
    Then the "regulate" phase lists 3 steps
    And the steps take at most 90 minutes a day

  @rule:REVIEW-007
  Scenario: Nothing the team can deliver fits where the plan starts: the plan says so and the review asks for it
    Given a 9-year-old with region scores brainstem 12, diencephalon 12, limbic 6, cortex 9
    And the child's typical arousal is "calm"
    And the child must avoid "animals, touch, art, group, stories, quiet, pretend, materials"
    When seqplan plans the assessment
    Then rule "REVIEW-007" fires
    And the plan says nothing qualifies where it starts
    And the review is in 4 weeks
    And the review says "No relate-phase activity qualifies yet for the Limbic"

  @rule:REVIEW-007 @must_not_fire
  Scenario: A regulating step where the plan starts: nothing to unblock
    Given a 9-year-old with region scores brainstem 6, diencephalon 9, limbic 9, cortex 9
    When seqplan plans the assessment
    Then rule "REVIEW-007" does not fire
    And the plan starts with "regulate" work on the brainstem

  @rule:SEL-001
  Scenario: A child in alarm who must avoid almost everything still gets a regulating step: a regulated adult
    Given a 9-year-old with every region scored 12
    And the child's typical arousal is "alarm"
    And the child must avoid "music, movement, touch, breathing, rocking, water, outdoors, quiet, running, grounding"
    When seqplan plans the assessment
    Then "regulated_adult" is a step in the "regulate" phase
    And "regulated_adult" is delivered by "caregiver"
    And the plan starts with "regulate" work on the brainstem
