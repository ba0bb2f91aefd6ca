Feature: Judge each candidate (layer 4: knowledge_base/rules/judge.yaml)
  Reason-stage work waits while a gate is closed; each of the 6 Rs (Relational,
  Relevant, Repetitive, Rewarding, Rhythmic, Respectful) is shown met or failed
  where the assessment and the catalogue show it directly.

  # ------------------------------------------------------------------ deferral

  @rule:DEFER-001 @rule:GATE-002
  Scenario: A terrified child's talk therapy waits until the child is calm or alert
    Given a 9-year-old with region scores brainstem 8, diencephalon 8, limbic 8, cortex 9
    And the child's typical arousal is "terror"
    And the child enjoys "music, animals"
    And the child must avoid "touch"
    And the team is "caregiver, teacher, therapist"
    And perinatal history is adversity 3 and relational poverty 3
    When seqplan plans the assessment
    Then rule "DEFER-001" fires
    And rule "GATE-002" fires
    And rule "GATE-001" does not fire
    And "cbt" is deferred by rule "DEFER-001" until "the child's typical state is calm or alert"
    And "storytelling" is deferred by rule "DEFER-001"
    And no step is in the "reason" phase
    And the first step is in the "regulate" phase
    And "therapeutic_massage" is not a step
    And "therapeutic_massage" fails "respectful"
    And the review is in 4 weeks
    And the review is set by rule "REVIEW-010"

  @rule:DEFER-001 @must_not_fire
  Scenario: Ordinary enrichment of a typical cortex continues for a child in alarm (brief v3: the arousal gate is for cortical treatment)
    Given a 10-year-old with every region scored 12
    And the child's typical arousal is "alarm"
    And the child enjoys "chess"
    When seqplan plans the assessment
    Then "chess_or_strategy_games" is not deferred
    And "chess_or_strategy_games" is a step

  @rule:DEFER-001 @must_not_fire
  Scenario: No gate closed: cognitive work is recommended, nothing waits
    Given a 12-year-old with region scores brainstem 9, diencephalon 10, limbic 9, cortex 7
    And the child's typical arousal is "alert"
    And the team is "caregiver, therapist, teacher"
    When seqplan plans the assessment
    Then rule "DEFER-001" does not fire
    And nothing is deferred
    And "storytelling" is a step in the "reason" phase
    And "cbt" is recommended

  # ---------------------------------------------------------------- relational

  @rule:RS-RELATIONAL-001
  Scenario: A trusted adult on the team delivers the activity
    Given a 6-year-old with region scores brainstem 6, diencephalon 6, limbic 9, cortex 9
    And the team is "Mum, class teacher"
    When seqplan plans the assessment
    Then rule "RS-RELATIONAL-001" fires
    And "drumming" meets "relational" because "delivered by the child's caregiver, a trusted adult on the team"
    And "drumming" is delivered by "caregiver, teacher"

  @rule:RS-RELATIONAL-002
  Scenario: No team named: the caregiver is assumed, and the plan says so
    Given a 6-year-old with region scores brainstem 6, diencephalon 6, limbic 9, cortex 9
    When seqplan plans the assessment
    Then rule "RS-RELATIONAL-002" fires
    And rule "RS-RELATIONAL-001" does not fire
    And "drumming" meets "relational" because "assumed: the team names no carer or school adult"
    And "drumming" is delivered by "caregiver"
    And "play_therapy" needs a referral to "therapist" by rule "REF-001"

  @rule:RS-RELATIONAL-002
  Scenario: A team with no adult of the child's daily life: the caregiver is assumed too
    Given a 6-year-old with region scores brainstem 6, diencephalon 6, limbic 9, cortex 9
    And the team is "social worker"
    When seqplan plans the assessment
    Then rule "RS-RELATIONAL-002" fires
    And "drumming" is delivered by "caregiver"

  # ------------------------------------------------------------------ relevant

  @rule:RS-RELEVANT-001
  Scenario: An activity suits the developmental age of the region it targets
    Given a 9-year-old with region scores brainstem 3, diencephalon 6, limbic 8, cortex 9
    When seqplan plans the assessment
    Then the brainstem developmental age is about 2.2 years
    And rule "RS-RELEVANT-001" fires for the brainstem
    And "drumming" meets "relevant" because "suits a developmental age of 2.2 years in the Brainstem"

  @rule:RS-RELEVANT-002
  Scenario: An activity too advanced for the region's developmental age is not relevant
    Given a 9-year-old with region scores brainstem 3, diencephalon 4, limbic 8, cortex 9
    When seqplan plans the assessment
    Then rule "RS-RELEVANT-002" fires for the brainstem
    And "patterned_breathing" fails "relevant" by rule "RS-RELEVANT-002"
    And "patterned_breathing" fails "relevant" because "needs a developmental age of at least 4 years"
    And "patterned_breathing" is not a step

  @rule:RS-RELEVANT-002 @must_not_fire
  Scenario: A teenager with mild difficulties is developmentally ready for every proposed activity
    Given a 16-year-old with region scores brainstem 10, diencephalon 10, limbic 10, cortex 10
    And the child's typical arousal is "calm"
    And the team is "caregiver, therapist, teacher"
    When seqplan plans the assessment
    Then rule "RS-RELEVANT-002" does not fire
    And "patterned_breathing" is recommended
    And "insight_therapy" is recommended

  @rule:RS-RELEVANT-003
  Scenario: An activity meant for younger children is not relevant to a teenager
    Given a 16-year-old with region scores brainstem 10, diencephalon 10, limbic 10, cortex 10
    When seqplan plans the assessment
    Then rule "RS-RELEVANT-003" fires for the brainstem
    And "rocking" fails "relevant" by rule "RS-RELEVANT-003"
    And "rocking" fails "relevant" because "suits developmental ages up to 8 years"
    And "rocking" is not a step

  @rule:RS-RELEVANT-004
  Scenario: A barely rated region is matched on chronological age, and the plan says so
    Given a 9-year-old with every region scored 12
    And only 3 brainstem functions are rated
    And the child's typical arousal is "fear"
    When seqplan plans the assessment
    Then the brainstem band is "insufficient data"
    And rule "RS-RELEVANT-004" fires for the brainstem
    And "drumming" is a step in the "regulate" phase
    And "drumming" meets "relevant" because "suits the child's chronological age of 9 years"

  @rule:RS-RELEVANT-005
  Scenario: A barely rated region: an activity for younger children is not relevant to a teenager
    Given a 17-year-old with every region scored 12
    And only 2 brainstem functions are rated
    And only 2 diencephalon functions are rated
    And the child's typical arousal is "fear"
    When seqplan plans the assessment
    Then rule "RS-RELEVANT-005" fires for the brainstem
    And "rocking" fails "relevant" by rule "RS-RELEVANT-005"
    And "rocking" fails "relevant" because "suits ages up to 8 years; the child is 17"

  @rule:RS-RELEVANT-006
  Scenario: A barely rated region: an activity too advanced for a young child is not relevant
    A region without a band is judged on chronological age, in both directions: an
    activity whose minimum age is above the child's age fails Relevant, so no
    candidate ever disappears without a verdict.

    Given a 3-year-old with every region scored 12
    And only 3 brainstem functions are rated
    And only 3 diencephalon functions are rated
    And the child's typical arousal is "terror"
    When seqplan plans the assessment
    Then every candidate has a verdict on all six Rs
    And every candidate activity is accounted for in the plan
    And "patterned_breathing" fails "relevant" by rule "RS-RELEVANT-006"
    And "patterned_breathing" fails "relevant" because "needs an age of at least 4 years; the child is 3"

  # ------------------------------------------------------ repetitive, rhythmic

  @rule:RS-RELEVANT-007
  Scenario: Breathing and yoga need instructions a child whose cortex is at an infant level cannot follow
    Given a 6-year-old with region scores brainstem 9, diencephalon 9, limbic 6, cortex 2
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then rule "RS-RELEVANT-007" fires
    And "patterned_breathing" fails "relevant" by rule "RS-RELEVANT-007"
    And "yoga" fails "relevant" by rule "RS-RELEVANT-007"
    And "rocking" is a step in the "regulate" phase

  @rule:RS-RELEVANT-007 @must_not_fire
  Scenario: A cortex old enough to follow the instructions: breathing and yoga stay relevant
    Given a 9-year-old with region scores brainstem 6, diencephalon 9, limbic 9, cortex 9
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then rule "RS-RELEVANT-007" does not fire

  @rule:RS-REPETITIVE-001
  Scenario: Drumming is repetitive by design
    Given a 6-year-old with region scores brainstem 6, diencephalon 6, limbic 9, cortex 9
    When seqplan plans the assessment
    Then rule "RS-REPETITIVE-001" fires
    And "drumming" meets "repetitive" because "repetitive by design"

  @rule:RS-RHYTHMIC-001
  Scenario: Drumming is rhythmic by design
    Given a 6-year-old with region scores brainstem 6, diencephalon 6, limbic 9, cortex 9
    When seqplan plans the assessment
    Then rule "RS-RHYTHMIC-001" fires
    And "drumming" meets "rhythmic" because "rhythmic by design"

  @rule:RS-DOSE-001
  Scenario: Water play becomes rhythmic through a brief, frequent daily dose
    Given a 6-year-old with region scores brainstem 6, diencephalon 6, limbic 9, cortex 9
    And the child enjoys "swimming"
    When seqplan plans the assessment
    Then rule "RS-DOSE-001" fires
    And "water_play" is a step in the "regulate" phase
    And "water_play" meets "rhythmic" because "done at the same points of the day, it becomes part of the day's predictable rhythm"
    And "water_play" meets "repetitive" because "brief sessions several times a day give the patterned, repeated input lower networks need"

  # ----------------------------------------------------------------- rewarding

  @rule:RS-REWARDING-001
  Scenario: An activity the child enjoys is rewarding
    Given a 6-year-old with region scores brainstem 6, diencephalon 6, limbic 9, cortex 9
    And the child enjoys "drums, dogs"
    When seqplan plans the assessment
    Then rule "RS-REWARDING-001" fires
    And "drumming" meets "rewarding" because "the child enjoys music"

  @rule:RS-REWARDING-002
  Scenario: No interests recorded: rewarding is to be confirmed with the child
    Given a 6-year-old with region scores brainstem 6, diencephalon 6, limbic 9, cortex 9
    When seqplan plans the assessment
    Then rule "RS-REWARDING-002" fires
    And rule "RS-REWARDING-001" does not fire
    And "drumming" meets "rewarding" because "to be confirmed: no interests are recorded"

  # ---------------------------------------------------------------- respectful

  @rule:RS-RESPECTFUL-001
  Scenario: An activity that involves something to avoid is not respectful
    Given an 8-year-old with region scores brainstem 5, diencephalon 6, limbic 9, cortex 9
    And the child must avoid "being touched"
    And the team is "parent, therapist"
    When seqplan plans the assessment
    Then rule "RS-RESPECTFUL-001" fires
    And "therapeutic_massage" fails "respectful" by rule "RS-RESPECTFUL-001"
    And "therapeutic_massage" fails "respectful" because "involves being touched, which the assessment says to avoid"
    And "therapeutic_massage" is not a step

  @rule:RS-RESPECTFUL-001
  Scenario: Avoiding being touched does not remove sand, animals or singing
    Given an 8-year-old with region scores brainstem 5, diencephalon 6, limbic 6, cortex 9
    And the child must avoid "touch, hugs, loud noise"
    And the team is "parent, therapist"
    When seqplan plans the assessment
    Then "therapeutic_massage" fails "respectful" by rule "RS-RESPECTFUL-001"
    And "drumming" fails "respectful" because "involves loud sound"
    And "singing" is recommended
    And "animal_assisted" is not excluded
    And "sand_play" is not excluded

  @rule:RS-RESPECTFUL-001
  Scenario: Avoiding messy materials removes sand play but not massage
    Given an 8-year-old with region scores brainstem 5, diencephalon 6, limbic 6, cortex 9
    And the child must avoid "sand, messy play"
    And the team is "parent, therapist"
    When seqplan plans the assessment
    Then "sand_play" fails "respectful" because "involves messy materials such as sand or paint"
    And "therapeutic_massage" is not excluded

  @rule:RS-RESPECTFUL-001 @must_not_fire
  Scenario: Nothing to avoid: massage by a coached caregiver stays on the list
    Given an 8-year-old with region scores brainstem 5, diencephalon 6, limbic 9, cortex 9
    And the team is "parent, therapist"
    When seqplan plans the assessment
    Then rule "RS-RESPECTFUL-001" does not fire
    And "therapeutic_massage" is recommended

  @rule:RS-REWARDING-004
  Scenario: Child-led play therapy is rewarding whatever the child's interests
    Given a 7-year-old with region scores brainstem 9, diencephalon 9, limbic 6, cortex 9
    And the child enjoys "trains"
    And the team is "caregiver, therapist"
    When seqplan plans the assessment
    Then rule "RS-REWARDING-004" fires
    And "play_therapy" meets "rewarding" because "child-led"
    And "drumming" meets "rewarding" because "to try, and watch whether the child enjoys it"

  @rule:RS-REWARDING-004 @must_not_fire
  Scenario: With no interests recorded, rewarding is to be confirmed, not child-led
    Given a 7-year-old with region scores brainstem 9, diencephalon 9, limbic 6, cortex 9
    And the team is "caregiver, therapist"
    When seqplan plans the assessment
    Then rule "RS-REWARDING-004" does not fire
    And "play_therapy" meets "rewarding" because "to be confirmed"

  # ------------------------------------------------------------------ referral

  @rule:REF-001
  Scenario: Filial play therapy with no therapist on the team is a referral, not a step
    Given a 7-year-old with region scores brainstem 12, diencephalon 12, limbic 6, cortex 12
    And the team is "foster carer, teaching assistant"
    When seqplan plans the assessment
    Then rule "REF-001" fires
    And rule "NEED-001" does not fire
    And "filial_play" needs a referral to "therapist" by rule "REF-001"
    And "caregiver_coaching" is not a step
    And "filial_play" is not a step
    And "creative_arts" is a step in the "relate" phase

  @rule:NEED-001
  Scenario: A play therapist on the team meets the need: filial play therapy is a step
    Given a 7-year-old with region scores brainstem 12, diencephalon 12, limbic 6, cortex 12
    And the team is "adoptive parent, play therapist"
    When seqplan plans the assessment
    Then rule "NEED-001" fires
    And "filial_play" is a step in the "relate" phase
    And "filial_play" is not a referral
    And "filial_play" is delivered by "caregiver"

  @rule:RS-RELATIONAL-001
  Scenario Outline: Roles people write are understood
    Given a 7-year-old with region scores brainstem 6, diencephalon 12, limbic 12, cortex 12
    And the team is "<words>"
    When seqplan plans the assessment
    Then "<activity>" is delivered by "<role>"

    Examples:
      | words                  | activity          | role               |
      | mother                 | drumming          | caregiver          |
      | grandparent            | drumming          | caregiver          |
      | key worker             | drumming          | caregiver          |
      | teaching assistant     | drumming          | teaching_assistant |

  @rule:DEFER-003
  Scenario: Storytelling offered as enrichment of a typical cortex still waits for a child in alarm
    Given a 10-year-old with every region scored 12
    And the child's typical arousal is "alarm"
    And the child enjoys "stories, chess"
    When seqplan plans the assessment
    Then "storytelling" is deferred by rule "DEFER-003"
    And "chess_or_strategy_games" is not deferred
