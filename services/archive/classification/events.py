"""Events of the classification area (published through the archive's outbox; nothing consumed).

Published (NATS subject ``ecosteward.archive.enterprise.<verb>``, subject = the enterprise id):

* ``enterprise.classified`` — once per change of the classification result (key/general or the set
  of reason codes), and at an enterprise's first evaluation. Data: ``id``, ``jurisdiction_id``,
  ``key`` (bool), ``source_class`` (``KEY``/``GENERAL``), ``reasons`` (list of ``code``,
  ``message``, ``since``, ``until``, ``fact_ids``), ``previous`` (``{key, source_class, reasons}``,
  null at the first evaluation), ``evaluated_on`` (date), ``trigger`` (``FACT_RECORDED``,
  ``FACT_WITHDRAWN``, ``STANDING_CHANGED``, ``PERIODIC_REVIEW``, ``ENTERPRISE_CHANGED``).
* ``enterprise.labelled`` — every setting of the risk labels. Data: ``id``, ``jurisdiction_id``,
  ``labels`` (``overall_risk``, ``water_risk``, ``air_risk``, ``noise_risk``,
  ``hazardous_waste_risk``, ``management_grade``, ``social_risk``, ``environmental_risk``; null when
  unassessed), ``previous`` (the same, null the first time), ``changed`` (names of labels that
  changed), ``required_inspections_per_year``, ``reinspected_on``, ``reason``, ``labelled_by``.
"""

from __future__ import annotations

from ecosteward.consumer import Subscription

SUBSCRIPTIONS: list[Subscription] = []
