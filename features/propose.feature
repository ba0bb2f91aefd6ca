Feature: Propose activities (layer 3: knowledge_base/rules/propose.yaml)
  Each need calls for the catalogue's activities of that region and stage; typical
  regions get only the activities marked as enrichment; low relational health adds
  caregiver coaching.

  @rule:PROP-001
  Scenario: A moderately impaired limbic region calls for relate-stage activities
    Given an 8-year-old with region scores brainstem 12, diencephalon 12, limbic 6, cortex 12
    And the team is "foster carer, therapist"
    When seqplan plans the assessment
    Then rule "PROP-001" fires for the limbic
    And "play_therapy" is a step in the "relate" phase
    And "play_therapy" targets the limbic
    And "play_therapy" cites rule "PROP-001"
    And "filial_play" is a step in the "relate" phase

  @rule:PROP-001
  Scenario: Clinical regulating treatments are proposed for an impaired brainstem
    Given a 6-year-old with region scores brainstem 4, diencephalon 12, limbic 12, cortex 12
    And the child enjoys "quiet"
    And the team is "parent, therapist"
    When seqplan plans the assessment
    Then "therapeutic_massage" is recommended
    And "therapeutic_massage" targets the brainstem
    And "therapeutic_massage" cites rule "PROP-001"

  @rule:PROP-001 @must_not_fire
  Scenario: A child with every region typical and calm gets no treatment-stage proposals
    Given a 9-year-old with every region scored 12
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then rule "PROP-001" does not fire
    And every step is in the "enrich" phase

  @rule:PROP-002
  Scenario: A typical region gets enrichment activities only
    Given a 9-year-old with every region scored 12
    And the team is "parent, teacher, therapist"
    When seqplan plans the assessment
    Then rule "PROP-002" fires
    And "drumming" is a step in the "enrich" phase
    And "drumming" cites rule "PROP-002"
    And "storytelling" is a step in the "enrich" phase
    And "therapeutic_massage" is not considered
    And "play_therapy" is not considered
    And "cbt" is not considered

  @rule:REL-002
  Scenario: Low relational health brings in caregiver coaching even with a typical limbic region
    Given a 5-year-old with every region scored 12
    And current relational health is 3
    And the team is "grandparent, therapist"
    When seqplan plans the assessment
    Then rule "REL-002" fires
    And the limbic band is "typical"
    And "caregiver_coaching" is a step in the "relate" phase
    And "caregiver_coaching" targets the limbic
    And "caregiver_coaching" cites rule "REL-002"
    And "caregiver_coaching" is delivered by "caregiver"

  @rule:REL-002
  Scenario: The relational goal's coaching keeps its place when the day is full
    Given an 11-year-old with region scores brainstem 7, diencephalon 6, limbic 6, cortex 7
    And current relational health is 4
    And the child enjoys "youtube, drawing, football"
    And the child must avoid "group work"
    And the team is "school counsellor"
    And activities can happen at "school"
    When seqplan plans the assessment
    Then rule "REL-002" fires
    And "caregiver_coaching" is a step in the "relate" phase
    And "caregiver_coaching" is done "daily" for "15-30" minutes
    And the steps take at most 120 minutes a day

  @rule:REL-002 @must_not_fire
  Scenario: Good relational health and a typical limbic region: no caregiver coaching
    Given a 5-year-old with every region scored 12
    And current relational health is 9
    And the team is "grandparent, therapist"
    When seqplan plans the assessment
    Then rule "REL-002" does not fire
    And "caregiver_coaching" is not considered
    And no step is in the "relate" phase

  @rule:PROP-003
  Scenario: With a severe brainstem, cortical work is listed as deferred even when the cortex is barely rated
    Given a 10-year-old with region scores brainstem 3, diencephalon 6, limbic 7, cortex 8
    And only 2 cortex functions are rated
    When seqplan plans the assessment
    Then rule "PROP-003" fires
    And the cortex band is "insufficient data"
    And "cbt" is deferred by rule "DEFER-001" until "the brainstem and diencephalon bands are mild or typical at reassessment"
    And "storytelling" is deferred by rule "GATE-001"
    And no step is in the "reason" phase

  @rule:PROP-003 @must_not_fire
  Scenario: With the lower regions regulated and a calm child, nothing is shown as waiting
    Given a 10-year-old with region scores brainstem 9, diencephalon 9, limbic 7, cortex 8
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then rule "PROP-003" does not fire
    And nothing is deferred
