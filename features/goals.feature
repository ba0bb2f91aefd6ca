Feature: Goals, measurable objectives and a named lead (knowledge_base/rules/goals.yaml; brief section 23)
  Every plan with a need has objectives with a target by the review, what is recorded and by whom.

  @rule:GOAL-001 @rule:LEAD-002
  Scenario: The lowest rating where the plan starts is an objective; a therapist on the team leads
    Given an 8-year-old with region scores brainstem 11, diencephalon 6, limbic 9, cortex 9
    And "sleep" is rated 3
    And the child's typical arousal is "alert"
    And the team is "foster carer, teacher, psychologist"
    When seqplan plans the assessment
    Then the plan has an objective on "sleep"
    And the objective on "sleep" aims from 3 to 5
    And the lead is the "therapist"

  @rule:GOAL-007 @rule:GOAL-002 @rule:GOAL-005
  Scenario: A child in alarm who dissociates: the lowest rating, a calmer state and fewer episodes
    Given a 6-year-old with region scores brainstem 5, diencephalon 6, limbic 6, cortex 7
    And "dissociation" is rated 3
    And the child's typical arousal is "alarm"
    When seqplan plans the assessment
    Then the plan has an objective on "arousal"
    And the plan has an objective on "dissociative_episodes"
    And the lead is to name

  @rule:GOAL-003 @rule:GOAL-004 @rule:LEAD-001
  Scenario: Low relational health and the young person's own goal; the social worker leads when safety is in question
    Given a 14-year-old with region scores brainstem 8, diencephalon 8, limbic 6, cortex 8
    And the child's typical arousal is "fear"
    And adolescence history is adversity 3 and relational poverty 2
    And current relational health is 3
    And the young person's own goal is "stay at my school"
    And the team is "mum, teacher, social worker"
    When seqplan plans the assessment
    Then the plan has an objective on "relational_health"
    And the objective on "relational_health" aims from 3 to 5
    And the plan has an objective on "own_goal"
    And the lead is the "social_worker"

  @rule:GOAL-006
  Scenario: A child with nothing to treat keeps their gains
    Given a 9-year-old with every region scored 12
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then the plan has an objective on "functioning"
