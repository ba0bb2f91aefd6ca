Feature: Verdict on every R (layer 5: knowledge_base/rules/verdict.yaml)
  An R not shown met in the judge layer is failed (relational, rewarding); an R not
  shown failed is met (respectful). Every R of every candidate ends met or failed.

  @rule:RS-RESPECTFUL-002 @rule:RS-REWARDING-005
  Scenario: Every proposed activity ends with a verdict on all six Rs
    Given a 7-year-old with region scores brainstem 5, diencephalon 7, limbic 6, cortex 9
    And the child enjoys "music, art"
    And the child must avoid "water"
    And the team is "parent, teacher"
    When seqplan plans the assessment
    Then every candidate has a verdict on all six Rs
    And every candidate activity is accounted for in the plan

  @rule:RS-RESPECTFUL-002
  Scenario: An activity that clashes with nothing the family avoids is respectful
    Given a 7-year-old with region scores brainstem 5, diencephalon 7, limbic 9, cortex 9
    And the child must avoid "water"
    When seqplan plans the assessment
    Then rule "RS-RESPECTFUL-002" fires
    And "drumming" meets "respectful" because "nothing in it clashes with the sensitivities or family and cultural limits recorded"
    And "water_play" fails "respectful" by rule "RS-RESPECTFUL-001"

  @rule:RS-RELATIONAL-003
  Scenario: Nobody on the team can deliver an activity that needs no professional
    Given a 7-year-old with region scores brainstem 12, diencephalon 12, limbic 6, cortex 12
    And the team is "teacher"
    When seqplan plans the assessment
    Then rule "RS-RELATIONAL-003" fires
    And "animal_assisted" fails "relational" by rule "RS-RELATIONAL-003"
    And "animal_assisted" fails "relational" because "needs an animal handler or a therapist or a caregiver, and nobody in that role is on the child's team"
    And "play_therapy" needs a referral to "therapist" by rule "REF-001"
    And "play_therapy" is not excluded

  @rule:RS-RELATIONAL-001
  Scenario: With a therapist on the team, play therapy has a trusted adult to deliver it
    Given a 7-year-old with region scores brainstem 12, diencephalon 12, limbic 6, cortex 12
    And the team is "parent, teacher, play therapist"
    When seqplan plans the assessment
    Then "play_therapy" is not excluded
    And "play_therapy" is a step in the "relate" phase
    And "play_therapy" meets "relational" because "delivered by the child's therapist"

  @rule:RS-REWARDING-005
  Scenario: An activity that matches none of the child's interests is to try, not excluded
    Given a 7-year-old with region scores brainstem 5, diencephalon 7, limbic 9, cortex 9
    And the child enjoys "music"
    When seqplan plans the assessment
    Then rule "RS-REWARDING-005" fires
    And "walking" is not excluded
    And "walking" is an alternative
    And "drumming" is the first step
    And "drumming" is not to try

  @rule:RS-REWARDING-005 @rule:RS-REWARDING-001
  Scenario Outline: Interests people write match the catalogue
    Given a 7-year-old with region scores brainstem 5, diencephalon 7, limbic 9, cortex 9
    And the child enjoys "<interest>"
    When seqplan plans the assessment
    Then "<activity>" is a step
    And "<activity>" is not to try
    And the plan notes nothing unmatched

    Examples:
      | interest        | activity        |
      | swings          | swinging        |
      | being rocked    | rocking         |
      | rap music       | drumming        |
      | football        | drumming        |
      | running         | running         |
      | gym             | dance           |
      | dogs and horses | animal_assisted |

  @rule:RS-REWARDING-005 @must_not_fire
  Scenario: No interests recorded: nothing is "to try" by this rule (the team finds out instead)
    Given a 7-year-old with region scores brainstem 5, diencephalon 7, limbic 9, cortex 9
    When seqplan plans the assessment
    Then rule "RS-REWARDING-005" does not fire
    And "drumming" is the first step
